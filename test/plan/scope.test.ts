/**
 * `tenancy diff` plans only the tenants a change can touch (plan/scope.ts). The oracle: for random changes to a
 * generated registry, the scoped diff equals the diff of two full plans, and the scope is small when the change
 * is (a quota change plans one tenant, a changed identity plans the tenants inviting it).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareRegistries } from "../../plan/diff";
import { changeScope } from "../../plan/scope";
import { InvalidInputError } from "../../components/core/problems";
import type { TenantFileInput } from "../../registry/schema";
import { LAYERS } from "../../stacks/layers";
import { exampleEnvironmentData, generatedId, generatedTenants, registryOf } from "./registries";

type Registry = Record<string, TenantFileInput>;
const N = 7;

/** Changes a pull request makes to one tenant (k) of the registry, each leaving it valid. */
const CHANGES: Record<string, (r: Registry, k: string) => void> = {
  email: (r, k) => (r[k]!.email = `renamed-${k}@example.com`),
  quota: (r, k) => {
    const rest = (r[k]!.namespaces ?? [k]).filter((n) => (typeof n === "string" ? n : n.name) !== k);
    r[k]!.namespaces = [{ name: k, quota: { "requests.cpu": "1" } }, ...rest];
  },
  offboard: (r, k) => (r[k]!.offboarding = true),
  tier: (r, k) => (r[k]!.tier = r[k]!.tier === "team" ? "standard" : "team"),
  domain: (r, k) => (r[k]!.domains = [...new Set([...(r[k]!.domains ?? []), `more-${k}.example.com`])]),
  invite: (r, k) => {
    // another tenant still in the registry (an earlier step may have removed tenant 1)
    const other = Object.keys(r).find((id) => id !== k && id !== "newcomer");
    if (!other) return;
    r[k]!.members = [
      ...(r[k]!.members ?? []).filter((m) => m.tenant !== other),
      { tenant: other, role: "viewer" },
    ];
  },
  remove: (r, k) => {
    delete r[k];
    for (const t of Object.values(r)) t.members = (t.members ?? []).filter((m) => m.tenant !== k);
  },
  add: (r) => {
    const host = Object.keys(r)[0];
    r["newcomer"] = {
      email: "newcomer@example.com",
      ...(host ? { members: [{ tenant: host, role: "viewer" as const }] } : {}),
    };
  },
};

const clone = (r: Registry): Registry => structuredClone(r);

describe("diff planning scope", () => {
  it("a quota change plans one tenant; an identity change plans the tenants inviting it too", () => {
    const base = registryOf(generatedTenants(N));
    const quota = clone(generatedTenants(N));
    CHANGES.quota!(quota, generatedId(6));
    expect(changeScope(base, registryOf(quota))).toEqual([generatedId(6)]);
    const email = clone(generatedTenants(N));
    CHANGES.email!(email, generatedId(4));
    // tenant i invites i-1: tenant 5 invites 4
    expect(changeScope(base, registryOf(email))).toEqual([generatedId(4), generatedId(5)]);
    const env = exampleEnvironmentData();
    env.defaults.quota.pods = 25;
    expect(changeScope(base, registryOf(generatedTenants(N), env))).toBeUndefined();
  });

  it.each([1, 3])(
    "the scoped diff is the full diff, for random changes (%i shards)",
    async (count) => {
      const env = exampleEnvironmentData();
      env.shards = { count };
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              change: fc.constantFrom(...Object.keys(CHANGES)),
              k: fc.integer({ min: 1, max: N }),
            }),
            { minLength: 1, maxLength: 3 },
          ),
          async (steps) => {
            const head = clone(generatedTenants(N));
            for (const { change, k } of steps)
              if (head[generatedId(k)]) CHANGES[change]!(head, generatedId(k));
            // a sequence of changes that makes the registry invalid is no change a diff sees: skipped
            let h;
            try {
              h = registryOf(head, env);
            } catch (e) {
              if (!(e instanceof InvalidInputError)) throw e;
              fc.pre(false);
              return;
            }
            const b = registryOf(generatedTenants(N), env);
            const scoped = await compareRegistries(b, h, LAYERS);
            const full = await compareRegistries(b, h, LAYERS, { full: true });
            expect(scoped.planned.tenants).toBeLessThanOrEqual(full.planned.tenants);
            expect({ ...scoped, planned: undefined }).toEqual({ ...full, planned: undefined });
          },
        ),
        { numRuns: 10 },
      );
    },
    240_000,
  );
});
