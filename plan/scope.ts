/**
 * What a registry change can touch (`tenancy diff` plans only that): the tenants whose resolved records differ
 * between two registries (where a record was read from aside), and, on either side, the tenants inviting one whose identity or offboarding changed
 * (their member bindings, and with organisations.parentView their organisation viewers' bindings, name the member's identity and go when it offboards: components/members/rbac.ts `activeMembers`,
 * the only place a tenant's resources read another tenant's record). A change of the environment touches every
 * tenant. Shared resources depend on the environment alone, so they are planned on both sides whatever the
 * scope. test/plan/scope.test.ts checks the scoped diff against the full one.
 */
import { jsonEqual } from "../components/core/json";
import { shardCount, shardOf } from "../layers/shards";
import type { RegistryModel, TenantModel } from "../registry/model";

/** The tenant ids a change from `base` to `head` can touch, sorted; `undefined` means every tenant. */
export function changeScope(base: RegistryModel, head: RegistryModel): string[] | undefined {
  const { source: _b, ...baseEnv } = base.environment;
  const { source: _h, ...headEnv } = head.environment;
  if (JSON.stringify(baseEnv) !== JSON.stringify(headEnv)) return undefined;
  const before = new Map(base.tenants.map((t) => [t.id, t]));
  const after = new Map(head.tenants.map((t) => [t.id, t]));
  const scope = new Set<string>();
  // what an inviting tenant reads of its member
  const identityChanged = new Set<string>();
  const asMember = (t: TenantModel | undefined) => t && JSON.stringify([t.email, t.offboarding]);
  for (const id of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(id);
    const h = after.get(id);
    // the resolved records, where they were read from aside (the environment is the same on both sides)
    if (!b || !h || !jsonEqual(b, h, "source")) scope.add(id);
    if (asMember(b) !== asMember(h)) identityChanged.add(id);
  }
  for (const t of [...base.tenants, ...head.tenants])
    if (
      t.members.some((m) => identityChanged.has(m.tenant)) ||
      t.organisationViewers?.some((v) => identityChanged.has(v))
    )
      scope.add(t.id);
  return [...scope].sort();
}

/** The shards holding a tenant of `scope` in either registry (the environment, and so the count, is the same). */
export function scopeShards(base: RegistryModel, head: RegistryModel, scope: string[]): number[] {
  const count = shardCount(head.environment);
  const ids = new Set(scope);
  const out = new Set<number>();
  for (const t of [...base.tenants, ...head.tenants]) if (ids.has(t.id)) out.add(shardOf(t, count));
  return [...out].sort((a, b) => a - b);
}

/** The part of `scope` a registry holds (`undefined`, every tenant, stays so). */
export function scopeIn(model: RegistryModel, scope: string[] | undefined): string[] | undefined {
  if (!scope) return undefined;
  const ids = new Set(model.tenants.map((t) => t.id));
  return scope.filter((id) => ids.has(id));
}
