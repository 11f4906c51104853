/**
 * `tenancy can-i`: `kubectl auth can-i` for the whole platform, offline. Answers from the access matrix (the
 * planned RBAC bindings and Vault policies, ARCHITECTURE.md "Contracts"), with the reason: the grants that
 * allow, or that none does; for Vault, the one path pattern that decides, by Vault's priority rules.
 */
import type { AccessRow } from "../policy/access";
import type { Capability, PolicyRule } from "../components/vault/policy";
import { decidingPattern, mergeRules } from "../components/vault/acl";

export interface CanIQuestion {
  principal: string;
  verb: string;
  /** Kubernetes: `pods`, `apps/deployments`, `pods/exec`; Vault: unused (the path is). */
  resource: string;
  namespace?: string;
  /** Kubernetes: the cluster asked about (the access rows' `cluster`). */
  cluster?: string;
  /** Kubernetes: one object of the resource by name (a rule naming objects may grant it); else the resource. */
  name?: string;
  /** A Vault request path: asks Vault's ACLs instead of Kubernetes RBAC. */
  path?: string;
}

export interface CanIAnswer {
  allowed: boolean;
  principal: string;
  verb: string;
  system: "kubernetes" | "vault";
  /** Kubernetes: the cluster it was asked about. */
  cluster?: string;
  /** `namespace:<ns>`, `cluster`, or the Vault path. */
  scope: string;
  resource: string;
  /** The grants that allow (kubernetes), or the deciding policy rules (vault). */
  via: string[];
  reason: string;
}

/**
 * Whether an access row's resource covers the asked one: equal, any (star-slash-star), a whole group, any core,
 * or the resource in every group (`*` + `/nodes` covers `nodes` and `example.io/nodes`).
 */
function covers(granted: string, asked: string): boolean {
  if (granted === asked || granted === "*/*") return true;
  if (granted.startsWith("*/")) return asked === granted.slice(2) || asked.endsWith(`/${granted.slice(2)}`);
  if (granted.endsWith("/*")) return asked.startsWith(granted.slice(0, -1));
  return granted === "*" && !asked.includes("/");
}

export function canI(rows: readonly AccessRow[], q: CanIQuestion): CanIAnswer {
  const mine = rows.filter((r) => r.principal === q.principal);
  if (q.path !== undefined) {
    const path = q.path.replace(/^\/+/, "");
    const rules: PolicyRule[] = mine
      .filter((r) => r.system === "vault")
      .map((r) => ({ path: r.resource, capabilities: r.verbs as Capability[] }));
    const acl = mergeRules(rules);
    const pattern = decidingPattern(acl, path);
    const caps = pattern === undefined ? undefined : acl.get(pattern)!;
    const allowed = caps !== undefined && !caps.has("deny") && caps.has(q.verb as Capability);
    const via =
      pattern === undefined
        ? []
        : [
            ...new Set(
              mine
                .filter((r) => r.system === "vault" && r.resource === pattern)
                .map((r) => `${pattern}: ${r.via}`),
            ),
          ];
    const reason =
      pattern === undefined
        ? `no policy path of ${q.principal} matches ${path}`
        : caps!.has("deny")
          ? `the deciding rule ${pattern} denies`
          : allowed
            ? `the deciding rule ${pattern} grants ${[...caps!].sort().join(",")}`
            : `the deciding rule ${pattern} grants ${[...caps!].sort().join(",")}, not ${q.verb}`;
    return {
      allowed,
      principal: q.principal,
      verb: q.verb,
      system: "vault",
      scope: path,
      resource: path,
      via,
      reason,
    };
  }
  const scope = q.namespace === undefined ? "cluster" : `namespace:${q.namespace}`;
  const onCluster = (r: AccessRow) => q.cluster === undefined || r.cluster === q.cluster;
  const granting = mine.filter(
    (r) =>
      r.system === "kubernetes" &&
      onCluster(r) &&
      // a rule naming objects grants them only, not the resource as a whole
      (r.resourceNames === undefined || (q.name !== undefined && r.resourceNames.includes(q.name))) &&
      (r.scope === scope || r.scope === "cluster") &&
      covers(r.resource, q.resource) &&
      (r.verbs.includes(q.verb) || r.verbs.includes("*")),
  );
  const via = [...new Set(granting.map((r) => `${r.scope === "cluster" ? "cluster-wide: " : ""}${r.via}`))];
  const aggregated = mine.some(
    (r) => r.system === "kubernetes" && onCluster(r) && r.scope === scope && r.verbs.includes("(aggregated)"),
  );
  const where =
    (q.name === undefined ? "" : `named ${q.name} `) +
    (q.namespace === undefined ? "at cluster scope" : `in namespace ${q.namespace}`) +
    (q.cluster === undefined ? "" : ` on cluster ${q.cluster}`);
  const reason =
    granting.length > 0
      ? `${via.length} grant${via.length === 1 ? "" : "s"} allow${via.length === 1 ? "s" : ""} it`
      : `no binding of ${q.principal} grants ${q.verb} on ${q.resource} ${where}` +
        (aggregated ? " (unless a CRD installed on the cluster aggregates it into the role)" : "");
  return {
    allowed: granting.length > 0,
    principal: q.principal,
    verb: q.verb,
    system: "kubernetes",
    ...(q.cluster !== undefined ? { cluster: q.cluster } : {}),
    scope,
    resource: q.resource,
    via,
    reason,
  };
}
