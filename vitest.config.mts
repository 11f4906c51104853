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
    // the planning process's young generation (bin/node-options.cjs): the tests plan a lot
    execArgv: [...PLAN_NODE_OPTIONS],
    // the default report, then the plain "N passed, N failed" line CI reads
    reporters: ["default", "./test/helpers/summary-reporter.ts"],
  },
});
