/** V8 options of a process that plans (bin/node-options.cjs). */
export declare const PLAN_NODE_OPTIONS: readonly string[];
/** Whether node options (argv or NODE_OPTIONS) already size the young generation. */
export declare function sizesYoungGeneration(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): boolean;
