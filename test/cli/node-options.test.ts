/**
 * bin/tenancy.cjs runs the CLI with the planning process's V8 options (bin/node-options.cjs): the young
 * generation is sized when a process starts, so the entry point starts again with them unless they are set.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PLAN_NODE_OPTIONS, sizesYoungGeneration } from "../../bin/node-options.cjs";
import { ROOT } from "../helpers/cli";

/** Runs the entry point with a preload that reports every process's V8 options on stderr. */
function run(args: string[], nodeOptions = "") {
  const dir = mkdtempSync(join(tmpdir(), "tenancy-node-options-"));
  const probe = join(dir, "probe.cjs");
  writeFileSync(probe, `process.stderr.write("execArgv " + JSON.stringify(process.execArgv) + "\\n");\n`);
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "tenancy.cjs"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: `--require ${probe} ${nodeOptions}`.trim() },
  });
  const seen = [...r.stderr.matchAll(/^execArgv (.*)$/gm)].map((m) => JSON.parse(m[1]!) as string[]);
  return { code: r.status, seen, stderr: r.stderr };
}

describe("the CLI's node options", () => {
  it("starts again with the planning options, and passes the exit code through", () => {
    const r = run(["validate", "--registry", join(ROOT, "no-such-registry")]);
    expect(r.seen).toEqual([[], [...PLAN_NODE_OPTIONS]]);
    expect(r.code).toBe(1);
  });

  it("keeps a young generation the user sized, without starting twice", () => {
    const r = run(["--help"], "--max-semi-space-size=32");
    expect(r.seen).toEqual([[]]);
    expect(r.code).toBe(0);
  });

  it("recognises the option on the command line and in NODE_OPTIONS", () => {
    expect(sizesYoungGeneration(["--max-semi-space-size=64"], undefined)).toBe(true);
    expect(sizesYoungGeneration([], "--inspect --max-semi-space-size=64")).toBe(true);
    expect(sizesYoungGeneration(["--expose-gc"], "--max-old-space-size=4096")).toBe(false);
  });
});
