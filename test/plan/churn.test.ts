/**
 * Churn: onboarding or removing one tenant changes that tenant's platform-layer resources and nothing
 * else. A generated registry of 20 tenants (mixed roles and tiers, members between tenants, one offboarding) is planned, then
 * planned again with one tenant more, one tenant fewer, and one invited tenant gone from the model.
 */
import { isDeepStrictEqual } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import type { PlannedResource } from "../../plan/plan";
import type { RegistryModel } from "../../registry/model";
import { generatedId, generatedTenants, planPlatform, registryOf } from "./registries";

const N = 20;

/** Resources keyed by type and Pulumi name (the URN's identity within the stack), one entry each. */
function byKey(resources: PlannedResource[]): Map<string, PlannedResource> {
  const map = new Map(resources.map((r) => [`${r.type}::${r.name}`, r]));
  expect(map.size, "type + name is unique").toBe(resources.length);
  return map;
}

interface Diff {
  added: PlannedResource[];
  removed: PlannedResource[];
  changed: string[];
}

function diff(before: PlannedResource[], after: PlannedResource[]): Diff {
  const [b, a] = [byKey(before), byKey(after)];
  return {
    added: [...a].filter(([k]) => !b.has(k)).map(([, r]) => r),
    removed: [...b].filter(([k]) => !a.has(k)).map(([, r]) => r),
    changed: [...a].filter(([k, r]) => b.has(k) && !equal(b.get(k)!, r)).map(([k]) => k),
  };
}

/** type, name, inputs, protect, tenant and parent all equal. */
const equal = (x: PlannedResource, y: PlannedResource): boolean => isDeepStrictEqual(x, y);

const resourcesOf = planPlatform;

let base: RegistryModel;
let before: PlannedResource[];
beforeAll(async () => {
  base = registryOf(generatedTenants(N));
  before = await resourcesOf(base);
});

describe(`a generated registry of ${N} tenants`, () => {
  it("has members between tenants, several roles and tiers, and an offboarding tenant", () => {
    expect(base.tenants.length).toBe(N);
    expect(base.tenants.reduce((n, t) => n + t.members.length, 0)).toBe(N - 1 + 4); // i invites i-1; tenants 5, 10, 15, 20 also invite tenant 1
    expect(new Set(base.tenants.map((t) => t.role))).toEqual(
      new Set(["namespace-owner", "power-user", "admin"]),
    );
    expect(new Set(base.tenants.map((t) => t.tier))).toEqual(new Set(["standard", "team"]));
    expect(base.tenants.filter((t) => t.offboarding).map((t) => t.id)).toEqual([generatedId(9)]);
    // every tenant owns resources, and the shared ones are there
    for (const t of base.tenants)
      expect(
        before.some((r) => r.tenant === t.id),
        t.id,
      ).toBe(true);
    // on the default cluster: its provider, 9 ClusterRoles (2 role bundles), 8 admission policies and their bindings
    expect(before.filter((r) => r.tenant === undefined).length).toBe(26);
  });

  it("onboarding one tenant adds only resources tagged with it; every other resource is identical", async () => {
    const newId = generatedId(N + 1);
    const grown = registryOf(generatedTenants(N + 1));
    // the newcomer invites an existing tenant: that grant is the newcomer's, not the invited tenant's
    expect(grown.tenants.find((t) => t.id === newId)!.members.map((m) => m.tenant)).toEqual([generatedId(N)]);
    const after = await resourcesOf(grown);
    const d = diff(before, after);
    expect(d.removed).toEqual([]);
    expect(d.changed).toEqual([]);
    expect(d.added.length).toBeGreaterThan(0);
    expect(d.added.filter((r) => r.tenant !== newId)).toEqual([]);
    // and everything of the newcomer is new
    expect(after.filter((r) => r.tenant === newId)).toEqual(d.added);
    expect(
      d.added.map((r) => `${r.inputs.kind as string} ${(r.inputs.metadata as { name: string }).name}`),
    ).toContain(`RoleBinding tenant-member-${generatedId(N)}`);
  });

  it("removing a tenant no one invites removes only its resources", async () => {
    const goneId = generatedId(N);
    expect(base.tenants.flatMap((t) => t.members.map((m) => m.tenant))).not.toContain(goneId);
    const shrunk = registryOf(generatedTenants(N - 1));
    const after = await resourcesOf(shrunk);
    const d = diff(before, after);
    expect(d.added).toEqual([]);
    expect(d.changed).toEqual([]);
    expect(d.removed).toEqual(before.filter((r) => r.tenant === goneId));
    expect(d.removed.length).toBeGreaterThan(0);
  });

  it("a tenant gone from the model takes with it exactly its resources and the bindings that invited it", async () => {
    // tenant 5 is invited by tenant 6 (developer, in tenant-06) and invites tenants 4 and 1
    const goneId = generatedId(5);
    const inviters = base.tenants.filter((t) => t.members.some((m) => m.tenant === goneId)).map((t) => t.id);
    expect(inviters).toEqual([generatedId(6)]);
    const model: RegistryModel = { ...base, tenants: base.tenants.filter((t) => t.id !== goneId) };
    const after = await resourcesOf(model);
    const d = diff(before, after);
    expect(d.added).toEqual([]);
    expect(d.changed).toEqual([]);
    const invitations = d.removed.filter((r) => r.tenant !== goneId);
    expect(
      invitations.map((r) => [
        r.tenant,
        r.inputs.kind,
        (r.inputs.metadata as { namespace: string }).namespace,
        (r.inputs.metadata as { name: string }).name,
      ]),
    ).toEqual([[generatedId(6), "RoleBinding", generatedId(6), `tenant-member-${goneId}`]]);
    expect(d.removed.filter((r) => r.tenant === goneId)).toEqual(before.filter((r) => r.tenant === goneId));
  });
});
