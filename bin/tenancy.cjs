#!/usr/bin/env node
// Entry point for `npx tenancy`: runs the TypeScript CLI directly through tsx, so no build step is needed.
"use strict";
const options = require("./node-options.cjs");

if (options.restartNeeded(process.execArgv, process.env)) {
  // the young generation is sized at start: run the command again with the planning options. The command
  // shares stdio, gets the signals that would end this process, and its exit (code or signal) is this one's
  const { spawn } = require("node:child_process");
  const child = spawn(
    process.execPath,
    [...options.PLAN_NODE_OPTIONS, ...process.execArgv, __filename, ...process.argv.slice(2)],
    { stdio: "inherit", env: { ...process.env, [options.RESTARTED]: "1" } },
  );
  const forward = (signal) => child.exitCode === null && child.kill(signal);
  for (const signal of options.FORWARDED_SIGNALS) process.on(signal, forward);
  child.on("error", (e) => {
    process.stderr.write(`tenancy: cannot start node: ${e.message}\n`);
    process.exit(5);
  });
  child.on("exit", (code, signal) => {
    for (const s of options.FORWARDED_SIGNALS) process.off(s, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
} else {
  require("tsx/cjs");
  require("../cli/main.ts");
}
