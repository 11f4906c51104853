/**
 * The environment chosen once: `--env`, else TENANCY_ENV (an empty one is unset, as an undefined CI variable
 * expands to ""), else `env:` in tenancy.yaml, else the example. Run through the CLI in a copy of the example
 * whose environment is named prod.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultEnv } from "../../cli/options";
import { copyExample, runCli } from "../helpers/cli";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tenancy-options-"));
  copyExample(dir);
  renameSync(join(dir, "environments", "example.yaml"), join(dir, "environments", "prod.yaml"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const validate = (env: NodeJS.ProcessEnv, ...args: string[]) =>
  runCli(["validate", "--json", ...args], { cwd: dir, env: { TENANCY_ENV: "", ...env } });

describe("the environment when --env is not given", () => {
  it("comes from TENANCY_ENV, else tenancy.yaml, else the example", () => {
    rmSync(join(dir, "tenancy.yaml"), { force: true });
    expect(defaultEnv({}, dir)).toEqual({ env: "example", from: "default" });
    expect(defaultEnv({ TENANCY_ENV: "" }, dir)).toEqual({ env: "example", from: "default" });
    expect(defaultEnv({ TENANCY_ENV: "prod" }, dir)).toEqual({ env: "prod", from: "TENANCY_ENV" });
    writeFileSync(join(dir, "tenancy.yaml"), "# the environment of this registry\nenv: staging\n");
    expect(defaultEnv({}, dir)).toEqual({ env: "staging", from: "tenancy.yaml" });
    expect(defaultEnv({ TENANCY_ENV: "prod" }, dir)).toEqual({ env: "prod", from: "TENANCY_ENV" });
    rmSync(join(dir, "tenancy.yaml"));
  });

  it("the CLI applies it: TENANCY_ENV, the config file, and --env over both", () => {
    rmSync(join(dir, "tenancy.yaml"), { force: true });
    // no variable, no file: the example, which this copy does not have
    const none = validate({});
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no environment "example".*\(environments: prod\)/);
    expect(validate({ TENANCY_ENV: "prod" }).code).toBe(0);
    writeFileSync(join(dir, "tenancy.yaml"), "env: prod\n");
    const r = validate({});
    expect(r.code, r.stderr).toBe(0);
    // --env wins over the variable and the file
    expect(validate({ TENANCY_ENV: "prod" }, "--env", "staging").code).toBe(2);
    rmSync(join(dir, "tenancy.yaml"));
  });

  it("a bad config file is a usage error naming it", () => {
    for (const text of ["env: Prod_1\n", "environment: prod\n", "- prod\n", "env: [\n"]) {
      writeFileSync(join(dir, "tenancy.yaml"), text);
      const r = validate({});
      expect(r.code, text).toBe(2);
      expect(r.stderr, text).toMatch(/^tenancy: tenancy\.yaml: /);
    }
    rmSync(join(dir, "tenancy.yaml"));
  });
});
