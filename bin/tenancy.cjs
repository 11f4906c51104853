#!/usr/bin/env node
// Entry point for `npx tenancy`: runs the TypeScript CLI directly through tsx, so no build step is needed.
"use strict";
const { PLAN_NODE_OPTIONS, sizesYoungGeneration } = require("./node-options.cjs");

if (!sizesYoungGeneration(process.execArgv, process.env.NODE_OPTIONS)) {
  // the young generation is sized at start: run again with the planning options (the user's own win)
  const { spawnSync } = require("node:child_process");
  const run = spawnSync(
    process.execPath,
    [...PLAN_NODE_OPTIONS, ...process.execArgv, __filename, ...process.argv.slice(2)],
    { stdio: "inherit" },
  );
  if (run.error) throw run.error;
  if (run.signal) process.kill(process.pid, run.signal);
  process.exit(run.status ?? 1);
}

require("tsx/cjs");
require("../cli/main.ts");
