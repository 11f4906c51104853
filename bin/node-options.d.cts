/** V8 options of a process that plans (bin/node-options.cjs). */
export declare const PLAN_NODE_OPTIONS: readonly string[];
/** The environment variable set in the restarted process. */
export declare const RESTARTED: string;
/** Signals the entry point passes on to the command it restarted. */
export declare const FORWARDED_SIGNALS: readonly NodeJS.Signals[];
/** Whether node options (argv or NODE_OPTIONS) already size the young generation. */
export declare function sizesYoungGeneration(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): boolean;
/** Whether the entry point should start the command again with PLAN_NODE_OPTIONS. */
export declare function restartNeeded(execArgv: readonly string[], env: NodeJS.ProcessEnv): boolean;
