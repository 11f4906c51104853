/**
 * `tenancy validate` in this process, for table-driven tests of many registries: the CLI's own pieces with no
 * child process to start (which costs 0.6-2 s a case). The arguments are parsed by the CLI's common options
 * (cli/options.ts), the registry is loaded as the command loads it (`loadRegistry(loadOptions(...))`), and a
 * failure is reported by the CLI's own `reportFailure` (cli/main.ts), which prints the problems and gives the
 * exit code. What is not reproduced: the success summary line the command prints (stdout stays empty on exit
 * 0) and the process around it; test/registry/hostile.test.ts runs a few cases through the real CLI for those.
 */
import { Command } from "commander";
import { reportFailure } from "../../cli/main";
import { type CommonOptions, defaultEnv, loadOptions, withCommonOptions } from "../../cli/options";
import { loadRegistry } from "../../registry/load";
import { type CliResult, EXAMPLE } from "./cli";

/** The options `tenancy validate <args>` is run with, as the CLI parses them. */
export function validateOptions(args: string[]): CommonOptions {
  const cmd = withCommonOptions(new Command("validate"))
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} });
  return cmd.parse(args, { from: "user" }).opts<CommonOptions>();
}

let running = false;

/**
 * Runs `tenancy validate <args>` in `cwd` (default: the example registry root) with `env` over this process's
 * environment, and returns the exit code and what was printed. One at a time: it changes the working directory
 * (the CLI reads `environments/` and the registry relative to it) and captures stdout and stderr.
 */
export async function validateInProcess(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  if (running) throw new Error("validateInProcess: one run at a time (it changes the working directory)");
  running = true;
  const options = validateOptions(args);
  // the CLI sets the default environment before its action runs (cli/options.ts, a preAction hook): no action here
  if (options.env === undefined)
    options.env = defaultEnv({ ...process.env, ...opts.env }, opts.cwd ?? EXAMPLE).env;
  const out = { stdout: "", stderr: "" };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture =
    (stream: "stdout" | "stderr") =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      out[stream] += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      const done = rest.find((r): r is () => void => typeof r === "function");
      done?.();
      return true;
    };
  const here = process.cwd();
  let code: number;
  process.chdir(opts.cwd ?? EXAMPLE);
  process.stdout.write = capture("stdout") as typeof process.stdout.write;
  process.stderr.write = capture("stderr") as typeof process.stderr.write;
  try {
    await loadRegistry(loadOptions(options, { ...process.env, ...opts.env }));
    code = 0;
  } catch (e) {
    code = reportFailure(e, options.json === true);
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    process.chdir(here);
    running = false;
  }
  return { code, ...out };
}
