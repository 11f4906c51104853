// V8 options of the CLI and of every process that plans (ARCHITECTURE.md, "Shards"): a plan allocates a great
// many short-lived objects (outputs, promises, protobuf structs), and with V8's default 16 MiB semi-spaces most
// of them survive two scavenges and are copied into the old generation; 128 MiB semi-spaces cut a plan's time
// by about a fifth (bench/plan.ts) and registry validation's by about a tenth (bench/registry.ts). The young
// generation is sized when the process starts, so these are command-line options: bin/tenancy.cjs starts
// itself again with them, plan workers and the test workers are started with them.
"use strict";
const PLAN_NODE_OPTIONS = ["--max-semi-space-size=128"];

/** Whether node options (argv or NODE_OPTIONS) already size the young generation. */
function sizesYoungGeneration(execArgv, nodeOptions) {
  return [...execArgv, ...(nodeOptions ?? "").split(/\s+/)].some((a) =>
    a.startsWith("--max-semi-space-size"),
  );
}

module.exports = { PLAN_NODE_OPTIONS, sizesYoungGeneration };
