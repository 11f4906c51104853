/**
 * Progress of `preview`, `up` and `destroy`, one task per stack (listr2): a task list with spinners on a
 * terminal, plain timestamped lines in CI, with NO_COLOR or when stderr is not a terminal; always on stderr, so
 * stdout keeps the summary (or the JSON). Then the summary table: per stack its step, result, resources
 * created, updated, deleted and unchanged, and how long it took.
 */
import Table from "cli-table3";
import {
  Listr,
  ListrLogger,
  type ListrTaskWrapper,
  PRESET_TIMER,
  PRESET_TIMESTAMP,
  ProcessOutput,
} from "listr2";
import type { Action, Changes, RunReporter, StackResult } from "../deploy/run";

export interface ProgressOptions {
  /** The stacks of the run, in the order they are listed. */
  stacks: string[];
  /** The step that ends a stack's run: `preview` for a preview, else the action itself. */
  last: Action;
  /** A task list with spinners (a terminal), or plain timestamped lines. */
  tty: boolean;
  /** listr2's own test renderer instead (the tests of the task list). @default false */
  testRenderer?: boolean;
  /** @default process.stderr */
  stream?: NodeJS.WriteStream;
}

export interface Progress extends RunReporter {
  /** Ends the task list (every task not ended yet ends with its last step) and returns every last result. */
  close(): Promise<StackResult[]>;
}

/** Whether progress may draw a task list: stderr a terminal, no CI, no NO_COLOR. */
export function interactive(env: NodeJS.ProcessEnv = process.env, stream = process.stderr): boolean {
  return stream.isTTY === true && !env.CI && env.NO_COLOR === undefined && env.TERM !== "dumb";
}

/** `+3 ~1 -0 =12`: created, updated (replaced ones too), deleted, unchanged. */
export function formatChanges(c: Changes | undefined): string {
  if (!c) return "nothing to do";
  const n = tally(c);
  return `+${n.created} ~${n.updated} -${n.deleted} =${n.unchanged}`;
}

function tally(c: Changes) {
  const get = (k: string) => c[k] ?? 0;
  return {
    created: get("create"),
    updated: get("update") + get("replace"),
    deleted: get("delete"),
    unchanged: get("same"),
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

type Task = ListrTaskWrapper<
  unknown,
  typeof import("listr2").DefaultRenderer,
  typeof import("listr2").SimpleRenderer
>;

export function progress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  // listr2 writes to stdout unless told: progress belongs on stderr (or the stream given)
  const logger = (useIcons: boolean) =>
    new ListrLogger({ useIcons, toStderr: [], processOutput: new ProcessOutput(stream, stream) });
  const last = new Map<string, StackResult>();
  const ended = new Map<string, (r: StackResult | undefined) => void>();
  const waits = new Map(
    opts.stacks.map((s) => [s, new Promise<StackResult | undefined>((resolve) => ended.set(s, resolve))]),
  );
  const tasks = new Map<string, Task>();
  // what happened before a task's function ran: applied when it does
  const early = new Map<string, (t: Task) => void>();
  const onTask = (stack: string, fn: (t: Task) => void) => {
    const t = tasks.get(stack);
    if (t) fn(t);
    else early.set(stack, fn);
  };

  // drawn from the first step on: a run refused before any stack starts (the guard, no Pulumi CLI) shows none
  let running: Promise<unknown> | undefined;
  const draw = () =>
    (running ??= list()
      .run()
      .catch(() => undefined));
  const list = () =>
    new Listr(
      opts.stacks.map((stack) => ({
        title: `${stack}: waiting`,
        task: async (_ctx: unknown, task: Task) => {
          tasks.set(stack, task);
          early.get(stack)?.(task);
          const result = await waits.get(stack)!;
          if (!result) task.skip(`${stack}: not run`);
          else if (result.status === "failed")
            throw new Error(`${stack}: ${result.phase} failed: ${result.reason}`);
          else if (result.status === "skipped") task.skip(`${stack}: ${result.reason}`);
          else
            task.title = `${stack}: ${result.phase} ${formatChanges(result.changes)} in ${seconds(result.ms)}`;
        },
      })),
      {
        concurrent: true,
        exitOnError: false,
        registerSignalListeners: false,
        collectErrors: false,
        ...(opts.testRenderer
          ? {
              renderer: "test" as const,
              rendererOptions: { logger: logger(false), task: ["title"] },
              fallbackRenderer: "test" as const,
              fallbackRendererOptions: { logger: logger(false), task: ["title"] },
            }
          : {
              renderer: "default" as const,
              rendererOptions: {
                logger: logger(true),
                collapseErrors: false,
                showErrorMessage: true,
                timer: PRESET_TIMER,
              },
              fallbackRenderer: "simple" as const,
              fallbackRendererCondition: !opts.tty,
              fallbackRendererOptions: {
                logger: logger(true),
                timestamp: PRESET_TIMESTAMP,
                timer: PRESET_TIMER,
              },
            }),
      } as never,
    );

  return {
    start(stack, phase) {
      draw();
      const step = phase === "up" ? "update" : phase;
      onTask(stack, (t) => {
        t.title = `${stack}: ${step}`;
        // plain lines show output, not titles: say when each step starts
        if (!opts.tty) t.output = `${stack}: ${step} started`;
      });
    },
    output(stack, text) {
      const lines = text
        .split("\n")
        .map((l) => l.trimEnd())
        .filter(Boolean);
      // on a terminal the last line shows under its task; plain lines name their stack
      if (opts.tty && lines.length > 0) onTask(stack, (t) => (t.output = lines.at(-1)!));
      else if (!opts.tty) onTask(stack, (t) => lines.forEach((l) => (t.output = `${stack} | ${l}`)));
    },
    finish(result) {
      draw();
      last.set(result.stack, result);
      if (result.status !== "done" || result.phase === opts.last) ended.get(result.stack)?.(result);
      else
        onTask(
          result.stack,
          (t) => (t.title = `${result.stack}: ${result.phase} ${formatChanges(result.changes)}`),
        );
    },
    async close() {
      for (const s of opts.stacks) ended.get(s)?.(last.get(s));
      if (!running) return [];
      await running;
      return opts.stacks.flatMap((s) => (last.has(s) ? [last.get(s)!] : []));
    },
  };
}

/** The summary table: one row per stack. */
export function summaryTable(results: StackResult[]): string {
  const table = new Table({
    head: ["STACK", "STEP", "RESULT", "CREATED", "UPDATED", "DELETED", "UNCHANGED", "DURATION"],
    style: { head: [], border: [] },
  });
  for (const r of results) {
    const n = r.changes ? tally(r.changes) : undefined;
    const cells = n ? [n.created, n.updated, n.deleted, n.unchanged].map(String) : ["", "", "", ""];
    const result = r.status === "done" ? (r.changes ? "ok" : "nothing to do") : r.status;
    table.push([r.stack, r.phase, result, ...cells, r.status === "skipped" ? "" : seconds(r.ms)]);
  }
  return table.toString();
}
