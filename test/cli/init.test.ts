/**
 * `tenancy init`: refusals before anything is written (the example's records without --replace-example, an
 * existing environment, an invalid value, a missing first tenant), and --dir: a registry elsewhere that the
 * CLI then uses from that directory without --env. (The full flow in the repository, init --replace-example
 * then onboard, validate, plan and the tests: test/registry-independence.test.ts.)
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { copyExample, runCli } from "../helpers/cli";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tenancy-init-"));
  copyExample(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const FIRST = ["--tenant", "platform", "--email", "ops@acme.test"];
const init = (...args: string[]) => runCli(["init", ...args], { cwd: dir, env: { TENANCY_ENV: "" } });
const listing = () => [...readdirSync(join(dir, "tenants")), ...readdirSync(join(dir, "environments"))];

describe("tenancy init", () => {
  it("refuses, writing nothing: the example's records without --replace-example, no first tenant, bad values", () => {
    const before = listing();
    const cases: [string[], RegExp][] = [
      [["--env", "prod", ...FIRST], /holds 4 records .*--replace-example/],
      [["--env", "prod", "--replace-example"], /--tenant <id> and --email <email> are required/],
      [["--env", "Prod", ...FIRST, "--replace-example"], /not a valid environment name/],
      [["--env", "prod", ...FIRST, "--replace-example", "--zone", "acme.test"], /expected <zone>=/],
      [["--env", "example", ...FIRST, "--replace-example"], /environments\/example\.yaml exists already/],
      [
        ["--env", "prod", "--tenant", "platform", "--email", "nope", "--replace-example"],
        /not a valid email/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = init(...args);
      expect(r.code, args.join(" ")).not.toBe(0);
      expect(r.stderr, args.join(" ")).toMatch(message);
      expect(listing()).toEqual(before);
      expect(existsSync(join(dir, "tenancy.yaml"))).toBe(false);
    }
  });

  it("--dir: a registry elsewhere, used from there without --env", () => {
    const r = init(
      "--env",
      "staging",
      ...FIRST,
      "--dir",
      "mine",
      "--context",
      "staging-admin",
      "--zone",
      "acme.test=0123456789abcdef0123456789abcdef",
    );
    expect(r.code, r.stderr).toBe(0);
    // the repository's registry untouched
    expect(readdirSync(join(dir, "tenants")).sort()).toEqual([
      "alice.yaml",
      "bob.yaml",
      "carol.yaml",
      "dave.yaml",
    ]);
    const mine = join(dir, "mine");
    expect(readFileSync(join(mine, "tenancy.yaml"), "utf8")).toMatch(/^env: staging$/m);
    const env = readFileSync(join(mine, "environments", "staging.yaml"), "utf8");
    expect(env).toMatch(/context: staging-admin/);
    expect(env).toMatch(/acme\.test: 0123456789abcdef0123456789abcdef/);
    const onboard = runCli(["onboard", "erin", "--email", "erin@acme.test", "--domain", "erin.acme.test"], {
      cwd: mine,
      env: { TENANCY_ENV: "" },
    });
    expect(onboard.code, onboard.stderr).toBe(0);
    const plan = runCli(["plan"], { cwd: mine, env: { TENANCY_ENV: "" } });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout.split("\n")[0]).toBe("environment staging: 2 tenants");
  });
});
