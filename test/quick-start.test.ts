/**
 * The README's quick start, `npx tenancy plan` in the repository: the one test that reads the repository's own
 * `tenants/` and `environments/` (the user's registry; every other test uses test/fixtures/example, which
 * test/registry-independence.test.ts checks). The tenants are read from `tenants/` as they are now, never
 * written down here, so a user's own registry (after `tenancy onboard erin ...`, say) passes as well.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultEnv } from "../cli/options";
import { ROOT, runCli } from "./helpers/cli";

/** The tenant ids of the repository's registry: its record files' names. */
function repositoryTenants(): string[] {
  return readdirSync(join(ROOT, "tenants"))
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => f.replace(/\.ya?ml$/, ""))
    .sort();
}

describe("the quick start", () => {
  it("`npx tenancy plan` in the repository plans every tenant of its registry, offline", () => {
    const tenants = repositoryTenants();
    expect(tenants.length, "the repository's tenants/ holds no records").toBeGreaterThan(0);
    const r = runCli(["plan"], { cwd: ROOT });
    expect(r.stderr).not.toMatch(/internal error|^\s+at /m);
    expect(r.code, r.stderr).toBe(0);
    // the repository's environment: the example, or the one `tenancy init` chose (tenancy.yaml, TENANCY_ENV)
    const { env } = defaultEnv(process.env, ROOT);
    expect(r.stdout.split("\n")[0]).toBe(
      `environment ${env}: ${tenants.length} tenant${tenants.length === 1 ? "" : "s"}`,
    );
    // each tenant has its own part of the plan, headed by its id
    const headed = new Set([...r.stdout.matchAll(/^ {2}([a-z0-9-]+)(?: .*)?$/gm)].map((m) => m[1]));
    for (const id of tenants) expect(headed, `tenant ${id} in the plan`).toContain(id);
  });
});
