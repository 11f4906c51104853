/**
 * bin/tenancy.cjs runs the CLI with the planning process's V8 options (bin/node-options.cjs): the young
 * generation is sized when a process starts, so the entry point starts again with them unless they are set.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  FORWARDED_SIGNALS,
  PLAN_NODE_OPTIONS,
  RESTARTED,
  restartNeeded,
  sizesYoungGeneration,
} from "../../bin/node-options.cjs";
import { EXAMPLE, ROOT } from "../helpers/cli";

/** Runs the entry point with a preload that reports every process's V8 options on stderr. */
function run(args: string[], nodeOptions = "") {
  const dir = mkdtempSync(join(tmpdir(), "tenancy-node-options-"));
  const probe = join(dir, "probe.cjs");
  writeFileSync(probe, `process.stderr.write("execArgv " + JSON.stringify(process.execArgv) + "\\n");\n`);
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "tenancy.cjs"), ...args], {
    cwd: EXAMPLE,
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

  it("passes a signal on to the command it started, and exits as the command did", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tenancy-node-options-"));
    const probe = join(dir, "probe.cjs");
    // in the command (the process with the planning options): say so, and report a SIGTERM when it comes
    writeFileSync(
      probe,
      `if (process.execArgv.includes(${JSON.stringify(PLAN_NODE_OPTIONS[0])})) {
  process.on("SIGTERM", () => { process.stderr.write("command got SIGTERM\\n"); process.exit(143); });
  process.stderr.write("command started\\n");
}
`,
    );
    const parent = spawn(process.execPath, [join(ROOT, "bin", "tenancy.cjs"), "plan"], {
      cwd: EXAMPLE,
      env: { ...process.env, NODE_OPTIONS: `--require ${probe}` },
    });
    let stderr = "";
    parent.stdout.resume();
    parent.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      if (d.includes("command started")) parent.kill("SIGTERM");
    });
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
      parent.on("exit", (c, sig) => resolve([c, sig])),
    );
    expect(stderr).toContain("command got SIGTERM");
    expect([code, signal]).toEqual([143, null]);
  });

  it("recognises the option on the command line and in NODE_OPTIONS, with - or _", () => {
    expect(sizesYoungGeneration(["--max-semi-space-size=64"], undefined)).toBe(true);
    expect(sizesYoungGeneration([], "--trace-gc --max-semi-space-size=64")).toBe(true);
    expect(sizesYoungGeneration(["--max_semi_space_size=32"], undefined)).toBe(true);
    expect(sizesYoungGeneration(["--expose-gc"], "--max-old-space-size=4096")).toBe(false);
  });

  it("never starts again from a restarted process, nor under an inspector", () => {
    expect(restartNeeded([], {})).toBe(true);
    expect(restartNeeded([], { [RESTARTED]: "1" })).toBe(false);
    expect(restartNeeded(["--inspect=127.0.0.1:9229"], {})).toBe(false);
    expect(restartNeeded([], { NODE_OPTIONS: "--inspect-brk" })).toBe(false);
    expect(restartNeeded([], { NODE_OPTIONS: "--max_semi_space_size=16" })).toBe(false);
  });

  it("passes on the signals that end a process, and leaves job control to the terminal", () => {
    expect(FORWARDED_SIGNALS).toEqual(expect.arrayContaining(["SIGINT", "SIGTERM", "SIGHUP"]));
    for (const signal of ["SIGTSTP", "SIGCONT", "SIGTTIN", "SIGTTOU", "SIGWINCH", "SIGCHLD"])
      expect(FORWARDED_SIGNALS).not.toContain(signal);
  });
});
