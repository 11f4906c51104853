/**
 * Vault policies as data. A policy is a list of path rules, serialised as JSON (Vault accepts JSON
 * policies); names are checked before they reach a path, so `*`, `+`, `/`, quotes or newlines in a
 * tenant id or namespace can never widen a grant.
 */

export type Capability = "create" | "read" | "update" | "patch" | "delete" | "list" | "sudo" | "deny";

export interface PolicyRule {
  path: string;
  capabilities: Capability[];
}

/** Where tenant data and deployer credentials live in Vault. */
export interface VaultLayout {
  kvMount: string;
  /** prefixed: `<kv>/data/<tenantPrefix>/<id>/*`; legacy: `<kv>/data/<id>` and `<kv>/data/<id>/*`. */
  layout: "prefixed" | "legacy";
  tenantPrefix: string;
  kubernetesSecretsMount: string;
}

const SAFE_SEGMENT = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A tenant id or namespace about to become one path segment: refused unless it is a plain DNS label. */
export function safeSegment(name: string): string {
  if (name.length > 63 || !SAFE_SEGMENT.test(name))
    throw new Error(
      `refusing to build a Vault path from ${JSON.stringify(name)}: expected a lowercase RFC 1123 label`,
    );
  return name;
}

const KV_WRITE: Capability[] = ["create", "read", "update", "patch", "delete"];
const KV_META: Capability[] = ["list", "read", "delete"];

/** The tenant's KV v2 paths: its data and metadata, nothing beside. */
export function tenantKvRules(layout: VaultLayout, tenant: string): PolicyRule[] {
  const id = safeSegment(tenant);
  const kv = layout.kvMount;
  if (layout.layout === "legacy") {
    return [
      { path: `${kv}/data/${id}`, capabilities: KV_WRITE },
      { path: `${kv}/data/${id}/*`, capabilities: KV_WRITE },
      { path: `${kv}/metadata/${id}`, capabilities: KV_META },
      { path: `${kv}/metadata/${id}/*`, capabilities: KV_META },
    ];
  }
  const base = `${layout.tenantPrefix}/${id}`;
  return [
    { path: `${kv}/data/${base}/*`, capabilities: KV_WRITE },
    { path: `${kv}/metadata/${base}/*`, capabilities: KV_META },
  ];
}

/** The Kubernetes Role and Vault role of a namespace's deployer: `<ns>-deployer`. */
export function deployerRoleName(namespace: string): string {
  return `${safeSegment(namespace)}-deployer`;
}

/** Generating credentials is a write to the creds endpoint, hence `update`. */
export function deployerCredsRule(layout: VaultLayout, namespace: string): PolicyRule {
  return {
    path: `${layout.kubernetesSecretsMount}/creds/${deployerRoleName(namespace)}`,
    capabilities: ["update"],
  };
}

export function tenantPolicyRules(layout: VaultLayout, tenant: string, namespaces: string[]): PolicyRule[] {
  return [...tenantKvRules(layout, tenant), ...namespaces.map((ns) => deployerCredsRule(layout, ns))];
}

/** `{"path": {"<path>": {"capabilities": [...]}}}` as Vault reads JSON policies. Refuses duplicate paths. */
export function serialisePolicy(rules: PolicyRule[]): string {
  const path: Record<string, { capabilities: Capability[] }> = {};
  for (const r of rules) {
    if (r.path in path) throw new Error(`policy lists ${r.path} twice`);
    if (/["\n\r\\]/.test(r.path))
      throw new Error(
        `refusing a policy path with quotes, backslashes or newlines: ${JSON.stringify(r.path)}`,
      );
    path[r.path] = { capabilities: [...r.capabilities] };
  }
  return JSON.stringify({ path });
}

/** The inverse, for the access matrix: rules from a JSON policy. */
export function parsePolicy(json: string): PolicyRule[] {
  const doc = JSON.parse(json) as { path?: Record<string, { capabilities?: Capability[] }> };
  return Object.entries(doc.path ?? {}).map(([path, v]) => ({ path, capabilities: v.capabilities ?? [] }));
}
