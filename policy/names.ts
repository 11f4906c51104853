/**
 * The physical names of the objects tenancy creates (ARCHITECTURE.md, "Names"): templates from the
 * environment's `names` (a profile, each template overridable), rendered here and nowhere else. Every rendered
 * name is checked to be a DNS subdomain before it reaches Kubernetes or a Vault path.
 */
import type { EnvironmentModel, TenantRole } from "../registry/model";
import { createHash } from "node:crypto";
import { oncePer } from "../components/core/memo";

/** The templates of every name, each a string (or, for `clusterBinding`, one per role). */
export type Templates = {
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

/**
 * The templates of a profile with the environment's overrides, resolved: what the platform stack exports as
 * `names` (stacks/platform.ts), so that the next run knows the names its objects were applied under even when
 * a profile's own templates change between versions of tenancy.
 */
export function templatesOf(config: EnvironmentModel["names"] | undefined): Templates {
  const t: Templates = { ...NAME_PROFILES[config?.profile ?? "tenancy"] };
  for (const key of Object.keys(t) as (keyof Templates)[]) {
    const own = config?.[key];
    if (own !== undefined) (t as Record<string, unknown>)[key] = own;
  }
  return t;
}

/** The templates of a profile with the environment's overrides, as functions. */
export function namesOf(config: EnvironmentModel["names"] | undefined): Names {
  return namesFrom(templatesOf(config));
}

/** Resolved templates as functions. */
export function namesFrom(t: Templates): Names {
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

/**
 * What a stack last applied, as its outputs say (read before its program runs: stacks/registrar.ts
 * `readApplied`): the templates its objects were named by (`names`) and its namespaces' owners and clusters
 * (`namespaces`).
 */
export interface AppliedNames {
  templates: Templates;
  namespaces: Record<string, { tenant: string; clusters: string[] }>;
}

const TEMPLATE_KEYS = Object.keys(NAME_PROFILES.tenancy) as (keyof Templates)[];

/**
 * A stack's outputs read as `AppliedNames`, or undefined when they do not say (a stack applied before it
 * exported `names`, never applied, or anything not of that shape): then no rename is known, and none released.
 */
export function appliedNames(outputs: { names?: unknown; namespaces?: unknown }): AppliedNames | undefined {
  const { names: t, namespaces: ns } = outputs;
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isRecord(t) || !isRecord(ns)) return undefined;
  for (const key of TEMPLATE_KEYS) {
    const v = t[key];
    const ok =
      typeof v === "string" ||
      (key === "clusterBinding" && isRecord(v) && Object.values(v).every((r) => typeof r === "string"));
    if (!ok) return undefined;
  }
  const namespaces: AppliedNames["namespaces"] = {};
  for (const [name, v] of Object.entries(ns)) {
    if (!isRecord(v) || typeof v.tenant !== "string") return undefined;
    const clusters = Array.isArray(v.clusters) ? v.clusters.filter((c) => typeof c === "string") : [];
    namespaces[name] = { tenant: v.tenant, clusters };
  }
  return { templates: t as Templates, namespaces };
}

/** A namespace's objects whose names come from a template (components/namespace/specs.ts). */
export type NamespaceObject = "quota" | "limits" | "tlsSecret";

/**
 * The namespace's objects that exist under another name than the one they get now (ARCHITECTURE.md, "Safety",
 * renames): the namespace was applied on `cluster` by this stack, and its applied templates, rendered for its
 * applied owner, give another name. Kubernetes cannot rename an object: the provider replaces it (its Diff
 * forces a replace on a `metadata.name` change, provider/pkg/provider/provider.go), and the engine refuses a
 * replace only while the resource is protected both in its state and in the program
 * (pkg/resource/deploy/step_generator.go: `new.Protect && old.Protect`), so a fence that is renamed is
 * registered unprotected for the one update that renames it.
 */
export function renamedObjects(
  applied: AppliedNames | undefined,
  now: Names,
  tenant: string,
  namespace: string,
  cluster: string,
): Set<NamespaceObject> {
  const out = new Set<NamespaceObject>();
  const was = applied?.namespaces[namespace];
  if (!applied || !was || !was.clusters.includes(cluster)) return out;
  let before: Names;
  try {
    before = namesFrom(applied.templates);
    for (const key of ["quota", "limits", "tlsSecret"] as const)
      if (before[key](was.tenant, namespace) !== now[key](tenant, namespace)) out.add(key);
  } catch {
    // an applied template that no longer renders (it could not have been applied): nothing is known
    return new Set();
  }
  return out;
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
