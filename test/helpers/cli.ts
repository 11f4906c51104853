/** Runs the real CLI (`bin/tenancy.cjs`) in a child process and captures what a user would see. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export const ROOT = join(__dirname, "..", "..");
const BIN = join(ROOT, "bin", "tenancy.cjs");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
