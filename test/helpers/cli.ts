/**
 * Runs the real CLI (`bin/tenancy.cjs`) in a child process and captures what a user would see.
 *
 * The CLI reads `environments/<env>.yaml` and the registry directory (`--registry`, default `tenants`)
 * relative to its working directory, so by default it runs in EXAMPLE, the tests' own copy of the example
 * registry: the repository's `tenants/` and `environments/` are the user's, and only
 * test/quick-start.test.ts reads them (test/registry-independence.test.ts checks that).
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync } from "node:fs";
import { join } from "node:path";

/** The repository: the code, the package, the published schemas. Not the registry the tests use. */
export const ROOT = join(__dirname, "..", "..");
export const BIN = join(ROOT, "bin", "tenancy.cjs");

/**
 * The tests' example registry root (test/fixtures/example: `tenants/` and `environments/example.yaml`, a copy
 * of the example the repository ships): what `tenancy plan` loads when run there.
 */
export const EXAMPLE = join(ROOT, "test", "fixtures", "example");
/** The example's registry directory, and its environment file. */
export const EXAMPLE_TENANTS = join(EXAMPLE, "tenants");
export const EXAMPLE_ENV_PATH = join(EXAMPLE, "environments", "example.yaml");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `tenancy <args>` in `cwd` (default: the example registry root, EXAMPLE). */
export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? EXAMPLE,
    env: { ...process.env, ...opts.env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The same, without blocking the test process: needed when the test process itself serves something the
 * CLI talks to (the local Vault server).
 */
export function runCliAsync(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? EXAMPLE,
      env: { ...process.env, ...opts.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Copies the example registry (`tenants/`, `environments/`) into `dir`, a registry root tests may change. */
export function copyExample(dir: string): void {
  for (const d of ["tenants", "environments"]) cpSync(join(EXAMPLE, d), join(dir, d), { recursive: true });
}
