/**
 * The benchmarks in a small smoke mode, so a change that breaks them fails here instead of rotting: each runs
 * end to end on a few tenants and prints its figures and its same-run scaling ratio. They measure nothing here.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli";

/** The tests' own copy of the example registry: the benchmarks read its environment, never the user's. */
const FIXTURE = join(ROOT, "test", "fixtures", "example");

function bench(script: string, args: string[], nodeArgs: string[] = []) {
  const r = spawnSync(
    process.execPath,
    [...nodeArgs, "-r", "tsx/cjs", join(ROOT, "bench", script), ...args, "--root", FIXTURE],
    {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 240_000,
    },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("benchmarks, smoke mode", () => {
  it("bench:diff: a one-tenant change in scope and in full (same result), and an environment-wide change", () => {
    const r = bench("diff.ts", ["--tenants", "6"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^one tenant's quota +1\/6 +\d+ +1$/m);
    expect(r.out).toMatch(/^one tenant's quota, full +6\/6 +\d+ +1$/m);
    expect(r.out).toMatch(/^the default quota \(env\) +6\/6 +\d+ +\d+$/m);
    expect(r.out).toMatch(/^speed-up: scoped diff -?\d+\.\dx faster than the full diff; same result$/m);
  });

  it("bench:scale plans a sharded registry in one process beside the unsharded one", () => {
    const r = bench("plan-scale.ts", ["--tenants", "12", "--shards", "3"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^ +12 +1 +5 +\d+ +\d+\.\d +\d+\.\d\d$/m);
    expect(r.out).toMatch(/^ +12 +3 +20 +\d+ +\d+\.\d +\d+\.\d\d$/m);
    expect(r.out).toMatch(/^sharding: 3 shards take \d+\.\d\dx the unsharded plan's time$/m);
    expect(r.out).toMatch(/^peak RSS \d+ MiB$/m);
  });

  it("bench:plan plans as data at two sizes (scaling, peak RSS), then the registrar against its floors", () => {
    const args = ["--tenants", "4", "--baseline", "2", "--register", "3", "--rounds", "1"];
    const r = bench("plan.ts", args, ["--expose-gc"]);
    expect(r.err).not.toMatch(/Error/);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^scaling: time per tenant at 4 vs 2 = -?\d+\.\d+x wall/m);
    expect(r.out).toMatch(/^peak RSS after the plans \d+ MiB$/m);
    expect(r.out).toMatch(
      /^floor: \d+ bare resources in \d+ ms = \d+\.\d{3} ms\/resource; registrar \d+\.\d{3} ms\/resource; ratio \d+\.\d\dx the floor$/m,
    );
    expect(r.out).toMatch(
      /^graph: the same \d+ registrations \(\d+ components\) with their options through the SDK's base classes in \d+ ms = \d+\.\d{3} ms\/resource; the registrar is \d+\.\d\dx the graph, the graph \d+\.\d\dx the bare floor$/m,
    );
  });

  it("bench:preflight looks up a first up's objects against the loopback servers, batched and one by one", () => {
    const r = bench("preflight.ts", ["--tenants", "20"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^preflight of a first adopt: 20 tenants, \d+ planned resources$/m);
    // the same findings either way; the batched lookups make fewer Kubernetes requests
    const rows = [...r.out.matchAll(/^(batched|one per object) +\d+ +(\d+) +(\d+) +(\d+) +(.+)$/gm)];
    expect(rows.map((m) => m[1])).toEqual(["batched", "one per object"]);
    expect(rows[0]![5]).toBe(rows[1]![5]);
    expect(Number(rows[0]![2])).toBeLessThan(Number(rows[1]![2]));
    // found, import, in place, take over, refused: some of each but refusals
    const [, imports, inPlace, takeOver, refused] = rows[0]![5]!.trim().split(/ +/).map(Number);
    expect([imports! > 0, inPlace! > 0, takeOver! > 0, refused]).toEqual([true, true, true, 0]);
    expect(r.out).toMatch(
      /^batching: -?\d+\.\d\dx faster than a request per object; at most 8 lookups at once per system$/m,
    );
  });

  it("bench:cli times the start-up, can-i and access end to end", () => {
    const r = bench("cli.ts", ["--runs", "1"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^tenancy --version +0 +\d+$/m);
    expect(r.out).toMatch(/^tenancy can-i alice get secrets --namespace bob-prod +1 +\d+ +-?\d+$/m);
    expect(r.out).toMatch(/^tenancy access --tenant bob +0 +\d+ +-?\d+$/m);
  });

  it("bench (registry load + validate) measures three sizes and the CLI end to end", () => {
    const r = bench("registry.ts", ["--tenants", "12", "--baseline", "4", "--runs", "1"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^scaling: time per tenant at 12 vs 4 = -?\d+\.\d+x warm/m);
    expect(r.out).toMatch(/exit 0: valid: 12 tenants/);
  });
});
