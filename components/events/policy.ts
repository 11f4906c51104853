/**
 * Tenant events (ARCHITECTURE.md, "Events"): what an `up` did to each tenant, for automation (billing,
 * notifications, welcome mails). Computed from the platform stack's outputs as applied before the `up` and
 * the registry applied by it; signed with HMAC-SHA256. Pure: delivery is deploy/events.ts.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { type ClusterInfo, defaultCluster } from "../clusters/placement";
import type { RegistryModel, TenantModel } from "../../registry/model";

export type TenantEventType = "tenant.onboarded" | "tenant.changed" | "tenant.offboarded";

export interface TenantEvent {
  type: TenantEventType;
  environment: string;
  tenant: string;
  namespaces: string[];
  domains: string[];
  /** When the `up` that caused it ended (ISO 8601). */
  at: string;
  /** The idempotency key: the same change of the same tenant always has the same id, however often it is sent. */
  id: string;
}

/**
 * A tenant's record as applied, in one value: the platform stack exports it, so the next `up` tells a change.
 * Placement on the default cluster alone and no grants leave the value as it was before several clusters
 * existed: upgrading tells no tenant changed.
 */
export function tenantDigest(tenant: TenantModel, env: { clusters: readonly ClusterInfo[] }): string {
  const home = defaultCluster(env.clusters);
  const onlyHome = (cs: readonly string[]) => cs.length === 1 && cs[0] === home;
  // in the model's key order, so an unchanged record keeps its value; the source is not the record
  const record = Object.entries(tenant).flatMap(([key, value]): [string, unknown][] => {
    // where its events go is no change of what is applied (docs/hooks.md)
    if (key === "source" || key === "hooks") return [];
    if (key === "clusters") return onlyHome(tenant.clusters) ? [] : [[key, value]];
    if (key === "grants") return tenant.grants.length > 0 ? [[key, value]] : [];
    if (key === "namespaces")
      return [
        [
          key,
          tenant.namespaces.map(({ clusters, ...ns }) => (onlyHome(clusters) ? ns : { ...ns, clusters })),
        ],
      ];
    return [[key, value]];
  });
  return createHash("sha256")
    .update(JSON.stringify(Object.fromEntries(record)))
    .digest("hex")
    .slice(0, 32);
}

interface AppliedTenantOutputs {
  namespaces?: string[];
  offboarding?: boolean;
  digest?: string;
}

const eventId = (parts: string[]) =>
  createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 32);

/**
 * The events of an `up` that applied `model` over the platform stack's outputs `before` (undefined: never
 * applied, so every tenant is new). A tenant applied before a digest was exported counts as unchanged.
 */
export function tenantEvents(
  before: Record<string, unknown> | undefined,
  model: RegistryModel,
  at: Date,
): TenantEvent[] {
  const applied = (before?.tenants ?? {}) as Record<string, AppliedTenantOutputs>;
  const environment = model.environment.name;
  const out: TenantEvent[] = [];
  // removed without offboarding first (--allow-removals): they go now
  const present = new Set(model.tenants.map((t) => t.id));
  for (const [id, was] of Object.entries(applied))
    if (!present.has(id) && !was.offboarding)
      out.push({
        type: "tenant.offboarded",
        environment,
        tenant: id,
        namespaces: was.namespaces ?? [],
        domains: [],
        at: at.toISOString(),
        id: eventId([environment, id, "tenant.offboarded", was.digest ?? "none", "removed"]),
      });
  for (const t of model.tenants) {
    const was = Object.hasOwn(applied, t.id) ? applied[t.id] : undefined;
    const digest = tenantDigest(t, model.environment);
    const type: TenantEventType | undefined = !was
      ? t.offboarding
        ? undefined // never onboarded, and going already: nothing to tell
        : "tenant.onboarded"
      : t.offboarding && !was.offboarding
        ? "tenant.offboarded"
        : !t.offboarding && was.digest !== undefined && was.digest !== digest
          ? "tenant.changed"
          : undefined;
    if (!type) continue;
    out.push({
      type,
      environment,
      tenant: t.id,
      namespaces: t.namespaces.map((n) => n.name),
      domains: t.domains.map((d) => d.name),
      at: at.toISOString(),
      // the change, from what to what: the same change has the same id; a later change back and forth does not
      id: eventId([environment, t.id, type, was?.digest ?? "none", digest]),
    });
  }
  return out;
}

/** The `X-Tenancy-Signature` header of a body: `sha256=<hex HMAC-SHA256 of the body>`. */
export function sign(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** What a receiver checks: the header is the body's signature under its secret (compared in constant time). */
export function verify(body: string, header: string | undefined, secret: string): boolean {
  if (!header) return false;
  const expected = Buffer.from(sign(body, secret));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
