/**
 * What `plan` says about the environment besides its resources: where it is less strict than the defaults
 * (Pod Security relaxed by a tier, admission policies switched off) and which identities are cross-tenant.
 */
import type { RegistryModel } from "../registry/model";

export function environmentNotes(model: RegistryModel): string[] {
  const env = model.environment;
  const notes: string[] = [];
  // Pod Security below restricted, per tier, with the tenants it concerns
  const relaxed = new Map<string, { level: string; tenants: string[] }>();
  for (const t of model.tenants) {
    const ps = t.podSecurity;
    if (ps.enforce === "restricted") continue;
    const key = `${t.tier}\0${ps.enforce}`;
    const entry = relaxed.get(key) ?? { level: ps.enforce, tenants: [] };
    entry.tenants.push(t.id);
    relaxed.set(key, entry);
  }
  for (const [key, { level, tenants }] of relaxed) {
    const tier = key.split("\0")[0]!;
    const where = env.tiers[tier]?.podSecurity?.enforce !== undefined ? `tier "${tier}"` : "the environment";
    notes.push(
      `Pod Security: ${where} relaxes enforce to ${level} (not restricted) for ${tenants.length} tenant${tenants.length === 1 ? "" : "s"}: ${tenants.join(", ")}`,
    );
  }
  for (const [name, on] of Object.entries(env.admission.policies))
    if (!on && (name !== "ciIdentity" || env.ci.shared))
      notes.push(`admission policy ${name} is off (admission.policies.${name} in ${env.source})`);
  if (env.ci.shared) {
    const { namespace, serviceAccount } = env.ci.shared;
    const active = model.tenants.filter((t) => !t.offboarding).length;
    notes.push(
      `cross-tenant: the shared CI identity ${namespace}/${serviceAccount} obtains the deployer credentials of all ${active} active tenants; ` +
        (env.admission.policies.ciIdentity
          ? "pipeline pods cannot run as it (admission policy ciIdentity)"
          : "and nothing keeps pipeline pods from running as it (admission policy ciIdentity is off)") +
        "; per-tenant CI (ci.perTenant) reaches one tenant each",
    );
  }
  return notes;
}
