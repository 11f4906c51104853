// V8 options of the CLI and of every process that plans (ARCHITECTURE.md, "Shards"): a plan allocates a great
// many short-lived objects (outputs, promises, protobuf structs), and with V8's default 16 MiB semi-spaces most
// of them survive two scavenges and are copied into the old generation; 128 MiB semi-spaces cut a plan's time
// by about a fifth (bench/plan.ts) and registry validation's by about a tenth (bench/registry.ts). The young
// generation is sized when the process starts, so these are command-line options: bin/tenancy.cjs starts
// itself again with them, plan workers and the test workers are started with them.
"use strict";
const PLAN_NODE_OPTIONS = ["--max-semi-space-size=128"];

/** Set in the restarted process: it never restarts again, whatever its runtime shows of its options. */
const RESTARTED = "TENANCY_RESTARTED";

/**
 * Signals the entry point passes on to the command it restarted: those that end it. Job control (SIGTSTP,
 * SIGCONT, ...) is left alone: the terminal sends it to both processes, and a caught Ctrl-Z would stop only
 * the command while the shell waits on the entry point. A Ctrl-C reaches the command twice (from the terminal
 * and from the entry point); it ends at the first.
 */
const FORWARDED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"];

/** Whether node options (argv or NODE_OPTIONS) already size the young generation (V8 takes - or _). */
function sizesYoungGeneration(execArgv, nodeOptions) {
  return [...execArgv, ...(nodeOptions ?? "").split(/\s+/)].some((a) =>
    /^--max[-_]semi[-_]space[-_]size/.test(a),
  );
}

/**
 * Whether the entry point should start the command again with PLAN_NODE_OPTIONS: not when they (or the user's
 * own sizing) are there, not in a restarted process, not under an inspector (the command would take the
 * debugger's port, and the debugger would see only the entry point).
 */
function restartNeeded(execArgv, env) {
  const options = [...execArgv, ...(env.NODE_OPTIONS ?? "").split(/\s+/)];
  return (
    env[RESTARTED] === undefined &&
    !sizesYoungGeneration(execArgv, env.NODE_OPTIONS) &&
    !options.some((a) => a.startsWith("--inspect"))
  );
}

module.exports = { PLAN_NODE_OPTIONS, RESTARTED, FORWARDED_SIGNALS, sizesYoungGeneration, restartNeeded };
