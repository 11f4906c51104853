/** The command line's own behaviour: exit codes, --json as commander parsed it, renamed fields. */
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { parse, stringify } from "yaml";
import { reportFailure } from "../../cli/main";
import { ExitCode, SafetyError, UsageError } from "../../components/core/problems";
import { BIN, EXAMPLE, EXAMPLE_ENV_PATH, EXAMPLE_TENANTS, ROOT, runCli } from "../helpers/cli";

describe("the command line", () => {
  it("an unexpected exception is an internal error (exit 5), not an external failure", () => {
    const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(reportFailure(new TypeError("boom"), false)).toBe(ExitCode.internal);
      expect(ExitCode.internal).toBe(5);
      expect(String(write.mock.calls[0]![0])).toMatch(/^tenancy: internal error: TypeError: boom/);
      expect(reportFailure(new UsageError("bad"), false)).toBe(2);
    } finally {
      write.mockRestore();
    }
  });

  it("a refusal listing what it refuses prints a line each, a value in a line unable to start a line of its own", () => {
    const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const e = new SafetyError("nothing was changed:", [
        "stack-a: refused \x1b[2J",
        "stack-b: x\ntenancy: all good",
      ]);
      expect(reportFailure(e, false)).toBe(ExitCode.safety);
      expect(write.mock.calls.map((c) => String(c[0])).join("")).toBe(
        "tenancy: nothing was changed:\n  stack-a: refused \\x1b[2J\n  stack-b: x\\ntenancy: all good\n",
      );
      // the message still holds every line (--json, tests)
      expect(e.message).toBe("nothing was changed:\nstack-a: refused \x1b[2J\nstack-b: x\ntenancy: all good");
    } finally {
      write.mockRestore();
    }
  });

  it("a reader closing the pipe early (tenancy access | head -1) ends it quietly", async () => {
    const { stderr, code } = await new Promise<{ stderr: string; code: number | null }>((resolve) => {
      const child = spawn(process.execPath, [BIN, "access", "--rows"], { cwd: EXAMPLE });
      let err = "";
      child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
      // the first chunk read, the pipe closed: as head does
      child.stdout.once("data", () => child.stdout.destroy());
      child.on("close", (c) => resolve({ stderr: err, code: c }));
    });
    expect(stderr).toBe("");
    expect(code).toBe(0);
  }, 60_000);

  it("--version prints the package's version and exits 0", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    const r = runCli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });

  it('"--json" as the value of another option does not switch the output to JSON', () => {
    const r = runCli(["validate", "--registry", "--json"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("--json: cannot read the registry directory");
    const asked = runCli(["validate", "--registry", "no-such-dir", "--json"]);
    expect(asked.code).toBe(1);
    expect(JSON.parse(asked.stdout)).toMatchObject({ ok: false, exitCode: 1, error: "InvalidInputError" });
  });

  it("a renamed environment field says what it is called now", () => {
    const dir = mkdtempSync(join(tmpdir(), "tenancy-renamed-"));
    mkdirSync(join(dir, "environments"));
    const env = parse(readFileSync(EXAMPLE_ENV_PATH, "utf8"));
    delete env.vault.tenantPaths;
    env.vault.layout = "legacy";
    writeFileSync(join(dir, "environments", "old.yaml"), stringify(env));
    const r = runCli(["validate", "--env", "old", "--registry", EXAMPLE_TENANTS], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'environments/old.yaml: vault.layout: was renamed: write "tenantPaths: prefixed" for "layout: prefixed" and "tenantPaths: top-level" for "layout: legacy"',
    );
  });
});
