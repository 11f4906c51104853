/**
 * Command-line benchmark: `npm run bench:cli [-- --runs N --root DIR]`.
 * What a user waits for: `tenancy --version` (the CLI's own start-up: node, the restart with the planning
 * options, tsx, the modules), then `tenancy can-i` and `tenancy access --tenant` on the registry in DIR (default:
 * the working directory, the example), end to end; each the best of N runs, and what the command costs beyond
 * the start-up. A script that prints, not a test.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { arg, option } from "./generated";

const BIN = join(__dirname, "..", "bin", "tenancy.cjs");

function best(args: string[], runs: number, cwd: string): { ms: number; code: number } {
  let ms = Infinity;
  let code = -1;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8" });
    ms = Math.min(ms, performance.now() - t0);
    code = r.status ?? -1;
    if (r.error) throw r.error;
  }
  return { ms, code };
}

function main() {
  const runs = arg("runs", 5);
  const root = option("root") ?? process.cwd();
  const startup = best(["--version"], runs, root);
  console.log(`best of ${runs} runs each, registry in ${root}`);
  console.log("command                                               exit     wall ms  beyond start-up");
  console.log(
    `${"tenancy --version".padEnd(53)} ${String(startup.code).padStart(4)} ${startup.ms.toFixed(0).padStart(11)}`,
  );
  for (const args of [
    ["can-i", "alice", "get", "secrets", "--namespace", "bob-prod"],
    ["access", "--tenant", "bob"],
  ]) {
    const r = best(args, runs, root);
    console.log(
      `${`tenancy ${args.join(" ")}`.padEnd(53)} ${String(r.code).padStart(4)} ${r.ms.toFixed(0).padStart(11)} ${(r.ms - startup.ms).toFixed(0).padStart(16)}`,
    );
  }
}

main();
