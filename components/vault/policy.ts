/**
 * Vault policies as data (ARCHITECTURE.md, "The policy module"). A policy is a list of path rules, serialised as JSON (Vault accepts JSON
 * policies); names are checked before they reach a path, so `*`, `+`, `/`, quotes or newlines in a
 * tenant id or namespace can never widen a grant.
 */

export type Capability = "create" | "read" | "update" | "patch" | "delete" | "list" | "sudo" | "deny";

export interface PolicyRule {
  path: string;
  capabilities: Capability[];
}

import type { EnvironmentModel } from "../../registry/model";
import { names } from "../../policy/names";

/** Where tenant data and deployer credentials live in Vault. */
export interface VaultPaths {
  kvMount: string;
  /**
   * prefixed: `<kv>/data/<tenantPrefix>/<id>/*`; top-level: `<kv>/data/<id>` and `<kv>/data/<id>/*`;
   * per-namespace: `<kv>/data/<ns>/*` (and `<kv>/metadata/<ns>/*` list) for each of its active namespaces.
   */
  tenantPaths: "prefixed" | "top-level" | "per-namespace";
  tenantPrefix: string;
  kubernetesSecretsMount: string;
  /** SOPS keys: a transit key `<keyPrefix><ns>` per tenant namespace on the transit `mount`. @default - none */
  sops?: { mount: string; keyPrefix: string };
  /** The deployer role name of a namespace (`names.deployer`). @default `<ns>-deployer` */
  deployerName?: (namespace: string) => string;
}

/** The environment's Vault paths. */
export function vaultPaths(env: EnvironmentModel): VaultPaths {
  const { kvMount, tenantPaths, tenantPrefix, kubernetesSecretsMount, sops } = env.vault;
  const n = names(env);
  return {
    kvMount,
    tenantPaths,
    tenantPrefix,
    kubernetesSecretsMount,
    ...(sops ? { sops } : {}),
    deployerName: n.deployer,
  };
}

/** The SOPS transit key of a namespace: `<keyPrefix><ns>`. */
export function sopsKeyName(sops: { keyPrefix: string }, namespace: string): string {
  return `${sops.keyPrefix}${safeSegment(namespace)}`;
}

/** Encrypting and decrypting with exactly a namespace's own SOPS key (both are writes: `update`). */
export function sopsRules(paths: VaultPaths, namespace: string): PolicyRule[] {
  if (!paths.sops) return [];
  const key = sopsKeyName(paths.sops, namespace);
  return [
    { path: `${paths.sops.mount}/encrypt/${key}`, capabilities: ["update"] },
    { path: `${paths.sops.mount}/decrypt/${key}`, capabilities: ["update"] },
  ];
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

/**
 * The tenant's KV v2 paths: its data and metadata, nothing beside. With `per-namespace` paths (the
 * single-secret installations' layout, ARCHITECTURE.md "Isolation"), each of `namespaces` (its active ones)
 * gets `<kv>/data/<ns>/*` and a listing of `<kv>/metadata/<ns>/*`, as those installations' policies write them.
 */
export function tenantKvRules(paths: VaultPaths, tenant: string, namespaces: string[] = []): PolicyRule[] {
  const id = safeSegment(tenant);
  const kv = paths.kvMount;
  if (paths.tenantPaths === "per-namespace")
    return namespaces.flatMap((namespace) => {
      const ns = safeSegment(namespace);
      return [
        { path: `${kv}/data/${ns}/*`, capabilities: KV_WRITE },
        { path: `${kv}/metadata/${ns}/*`, capabilities: ["list"] },
      ];
    });
  if (paths.tenantPaths === "top-level") {
    return [
      { path: `${kv}/data/${id}`, capabilities: KV_WRITE },
      { path: `${kv}/data/${id}/*`, capabilities: KV_WRITE },
      { path: `${kv}/metadata/${id}`, capabilities: KV_META },
      { path: `${kv}/metadata/${id}/*`, capabilities: KV_META },
    ];
  }
  const base = `${paths.tenantPrefix}/${id}`;
  return [
    { path: `${kv}/data/${base}/*`, capabilities: KV_WRITE },
    { path: `${kv}/metadata/${base}/*`, capabilities: KV_META },
  ];
}

/** The secret and key holding the signing secret of a tenant's hooks (docs/hooks.md), inside its KV paths. */
export const HOOK_SECRET = { name: "tenancy-hooks", key: "secret" } as const;

/**
 * Where the signing secret of a tenant's hooks lives, inside the KV mount (`<kvMount>/data/<this>`): under the
 * paths its policy grants (`tenantKvRules`), so the tenant writes it itself. prefixed:
 * `<tenantPrefix>/<id>/tenancy-hooks`; top-level: `<id>/tenancy-hooks`; per-namespace: under its first
 * namespace, `<ns>/tenancy-hooks` (undefined when it has none).
 */
export function hookSecretPath(
  paths: Pick<VaultPaths, "tenantPaths" | "tenantPrefix">,
  tenant: string,
  namespaces: readonly string[],
): string | undefined {
  if (paths.tenantPaths === "per-namespace")
    return namespaces[0] === undefined ? undefined : `${safeSegment(namespaces[0])}/${HOOK_SECRET.name}`;
  if (paths.tenantPaths === "top-level") return `${safeSegment(tenant)}/${HOOK_SECRET.name}`;
  return `${paths.tenantPrefix}/${safeSegment(tenant)}/${HOOK_SECRET.name}`;
}

/** The Kubernetes Role and Vault role of a namespace's deployer: `<ns>-deployer` unless `names.deployer` says. */
export function deployerRoleName(namespace: string, paths?: Pick<VaultPaths, "deployerName">): string {
  const ns = safeSegment(namespace);
  // names.ts renders the template as a DNS subdomain: no "/", "*", "+" or quote can reach the path
  return paths?.deployerName ? paths.deployerName(ns) : `${ns}-deployer`;
}

/** Generating credentials is a write to the creds endpoint, hence `update`. */
export function deployerCredsRule(paths: VaultPaths, namespace: string): PolicyRule {
  return {
    path: `${paths.kubernetesSecretsMount}/creds/${deployerRoleName(namespace, paths)}`,
    capabilities: ["update"],
  };
}

/** A tenant's policy: its KV subtree, its namespaces' deployer credentials and (with SOPS keys) their keys. */
export function tenantPolicyRules(
  paths: VaultPaths,
  tenant: string,
  namespaces: string[],
  /**
   * The namespaces whose SOPS keys (and, with per-namespace paths, KV paths) it uses: every active one,
   * wherever it runs. @default namespaces
   */
  sopsNamespaces: string[] = namespaces,
): PolicyRule[] {
  return [
    ...tenantKvRules(paths, tenant, sopsNamespaces),
    ...namespaces.map((ns) => deployerCredsRule(paths, ns)),
    ...sopsNamespaces.flatMap((ns) => sopsRules(paths, ns)),
  ];
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
