#!/usr/bin/env node
// Entry point for `npx tenancy`: runs the TypeScript CLI directly through tsx, so no build step is needed.
"use strict";
const { PLAN_NODE_OPTIONS, sizesYoungGeneration } = require("./node-options.cjs");

if (!sizesYoungGeneration(process.execArgv, process.env.NODE_OPTIONS)) {
  // the young generation is sized at start: run again with the planning options (the user's own win). The
  // child is the command: stdio shared, every signal this process gets passed on, its exit (code or signal)
  // this process's exit
  const { spawn } = require("node:child_process");
  const { proxySignals } = require("foreground-child/proxy-signals");
  const child = spawn(
    process.execPath,
    [...PLAN_NODE_OPTIONS, ...process.execArgv, __filename, ...process.argv.slice(2)],
    { stdio: "inherit" },
  );
  proxySignals(child);
  child.on("error", (e) => {
    process.stderr.write(`tenancy: cannot start node: ${e.message}\n`);
    process.exit(5);
  });
  child.on("exit", (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
} else {
  require("tsx/cjs");
  require("../cli/main.ts");
}
