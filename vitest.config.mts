import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";
import nodeOptions from "./bin/node-options.cjs";

const { PLAN_NODE_OPTIONS } = nodeOptions;

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The Pulumi mock runtime keeps process-global state: one test file per worker process.
    pool: "forks",
    // vitest's default leaves a core free, which on a 2-core machine is one worker: the suite took 4 minutes
    // there, 2.3 with two (much of a CLI test's time is a child process waiting on the other core)
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // the planning process's young generation (bin/node-options.cjs): the tests plan a lot
    execArgv: [...PLAN_NODE_OPTIONS],
    // the default report, then the plain "N passed, N failed" line CI reads
    reporters: ["default", "./test/helpers/summary-reporter.ts"],
  },
});
