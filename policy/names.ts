/**
 * The physical names of the objects tenancy creates (ARCHITECTURE.md, "Names"): templates from the
 * environment's `names` (a profile, each template overridable), rendered here and nowhere else. Every rendered
 * name is checked to be a DNS subdomain before it reaches Kubernetes or a Vault path.
 */
import type { EnvironmentModel, TenantRole } from "../registry/model";
import { createHash } from "node:crypto";
import { oncePer } from "../components/core/memo";

type Templates = {
  vaultPolicy: string;
  deployer: string;
  ownerBinding: string;
  memberBinding: string;
  clusterBinding: string | Record<TenantRole, string>;
  quota: string;
  limits: string;
  tlsSecret: string;
};

/** The profiles: tenancy's own names, and those of the Vault-driven installations tenancy adopts. */
export const NAME_PROFILES: Record<"tenancy" | "existing-installation", Templates> = {
  tenancy: {
    vaultPolicy: "tenant-{tenant}",
    deployer: "{namespace}-deployer",
    ownerBinding: "tenant-owner",
    memberBinding: "tenant-member-{member}",
    clusterBinding: "tenancy-tenant-{tenant}",
    quota: "tenant-quota",
    limits: "tenant-limits",
    tlsSecret: "tenant-tls",
  },
  "existing-installation": {
    vaultPolicy: "tenant-{tenant}",
    deployer: "{namespace}-deployer",
    ownerBinding: "namespace-owner-{tenant}",
    memberBinding: "namespace-member-{member}",
    clusterBinding: {
      "namespace-owner": "{tenant}-cluster-reader",
      "power-user": "{tenant}-read-only",
      admin: "{tenant}-admin",
    },
    quota: "{namespace}-quota",
    limits: "{namespace}-limits",
    tlsSecret: "tls-{namespace}",
  },
};

/** What every rendered name must be: a DNS subdomain (Kubernetes object names; safe in a Vault path segment). */
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Templates without placeholders already found valid: they render to themselves (most names of a profile). */
const CONSTANT = new Set<string>();

/**
 * Templates split once at their placeholders: literal text at even indexes, placeholder names at odd ones
 * (a registry renders a few templates a hundred thousand times). Bounded.
 */
const PARTS = new Map<string, string[]>();
const MAX_TEMPLATES = 1024;

function parts(template: string): string[] {
  let p = PARTS.get(template);
  if (!p) {
    if (PARTS.size >= MAX_TEMPLATES) PARTS.clear();
    PARTS.set(template, (p = template.split(/\{([a-z]+)\}/)));
  }
  return p;
}

function render(template: string, vars: Record<string, string>): string {
  if (CONSTANT.has(template)) return template;
  const p = parts(template);
  let name = p[0]!;
  for (let i = 1; i < p.length; i += 2) {
    const v = p[i]!;
    name += (Object.hasOwn(vars, v) ? vars[v] : undefined) ?? `{${v}}`;
    name += p[i + 1]!;
  }
  if (name === template && name.length <= 253 && SUBDOMAIN.test(name)) CONSTANT.add(template);
  else if (name.length > 253 || !SUBDOMAIN.test(name))
    throw new Error(
      `name template ${JSON.stringify(template)} gives ${JSON.stringify(name)}, not a valid object name (a DNS subdomain of at most 253 characters)`,
    );
  return name;
}

export interface Names {
  vaultPolicy(tenant: string): string;
  deployer(namespace: string): string;
  ownerBinding(tenant: string, namespace: string): string;
  memberBinding(tenant: string, namespace: string, member: string): string;
  clusterBinding(tenant: string, role: TenantRole): string;
  quota(tenant: string, namespace: string): string;
  limits(tenant: string, namespace: string): string;
  tlsSecret(tenant: string, namespace: string): string;
}

/** The templates of a profile with the environment's overrides, as functions. */
export function namesOf(config: EnvironmentModel["names"] | undefined): Names {
  const t: Templates = { ...NAME_PROFILES[config?.profile ?? "tenancy"] };
  for (const key of Object.keys(t) as (keyof Templates)[]) {
    const own = config?.[key];
    if (own !== undefined) (t as Record<string, unknown>)[key] = own;
  }
  return {
    vaultPolicy: (tenant) => render(t.vaultPolicy, { tenant }),
    deployer: (namespace) => render(t.deployer, { namespace }),
    ownerBinding: (tenant, namespace) => render(t.ownerBinding, { tenant, namespace }),
    memberBinding: (tenant, namespace, member) => render(t.memberBinding, { tenant, namespace, member }),
    clusterBinding: (tenant, role) =>
      render(typeof t.clusterBinding === "string" ? t.clusterBinding : t.clusterBinding[role], {
        tenant,
        role,
      }),
    quota: (tenant, namespace) => render(t.quota, { tenant, namespace }),
    limits: (tenant, namespace) => render(t.limits, { tenant, namespace }),
    tlsSecret: (tenant, namespace) => render(t.tlsSecret, { tenant, namespace }),
  };
}

/** The environment's names. */
export const names: (env: EnvironmentModel) => Names = oncePer((env) => namesOf(env.names));

/** A DNS label of at most 63 characters: long names are cut and keep a short hash of the whole. */
export function objectName(...parts: string[]): string {
  const full = parts.join("-");
  if (full.length <= 63) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 8);
  return `${full.slice(0, 54).replace(/-+$/, "")}-${hash}`;
}

/** Object name of an app instance's Deployment, Service and Ingress: `<app>` in the tenant's namespace, `<app>-<tenant>` in a shared one. */
export function appObjectName(app: { name: string; placement: "tenant" | "shared" }, tenant: string): string {
  return app.placement === "shared" ? objectName(app.name, tenant) : objectName(app.name);
}
