/**
 * The vault concern's part of the access matrix (plan/access.ts): what each Vault principal (a tenant's entity,
 * a CI auth role) may do on which paths, by its policies, and the Kubernetes grants of the deployer
 * credentials those paths let it mint.
 */
import type { AccessContext, Who } from "../../policy/access";
import type { KubernetesRoles } from "../members/access-rows";
import { capabilitiesOn, mergeRules } from "./acl";
import { type PolicyRule, parsePolicy } from "./policy";

export function vaultAccess(ctx: AccessContext, kubernetes: KubernetesRoles): void {
  const { home, byType, push } = ctx;
  // Vault: policies by name; deployers by creds path
  const policies = new Map<string, PolicyRule[]>();
  for (const p of byType("vault:index/policy:Policy"))
    policies.set(String(p.inputs.name), parsePolicy(String(p.inputs.policy)));
  const deployers = byType("vault:kubernetes/secretBackendRole:SecretBackendRole").map((d, index) => ({
    path: `${d.inputs.backend}/creds/${d.inputs.name}`,
    namespaces: (d.inputs.allowedKubernetesNamespaces ?? []) as string[],
    role: String(d.inputs.kubernetesRoleName),
    ttl: Number(d.inputs.tokenDefaultTtl),
    index,
  }));
  // by path, for the deployers a policy path can name: an exact path one, a glob those under its literal prefix
  const byPath = [...deployers].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const underPrefix = (prefix: string) => {
    let lo = 0;
    let hi = byPath.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byPath[mid]!.path < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: typeof deployers = [];
    for (let i = lo; i < byPath.length && byPath[i]!.path.startsWith(prefix); i++) out.push(byPath[i]!);
    return out;
  };
  const candidatesOf = (path: string) => {
    const glob = path.search(/[+*]/);
    return glob < 0 ? underPrefix(path).filter((d) => d.path === path) : underPrefix(path.slice(0, glob));
  };

  const vaultRows = (who: Who, policyNames: string[], via: string) => {
    const rules = policyNames.flatMap((n) => policies.get(n) ?? []);
    for (const name of policyNames) {
      for (const r of policies.get(name) ?? []) {
        push(who, {
          system: "vault",
          scope: "path",
          resource: r.path,
          verbs: [...r.capabilities],
          via: `${via}: policy ${name}`,
        });
      }
    }
    const acl = mergeRules(rules);
    // an exact policy path names its deployer; a glob only those its literal prefix can reach
    const candidates = new Set(rules.flatMap((r) => candidatesOf(r.path)));
    // in plan order, as a scan of every deployer would give them
    for (const d of [...candidates].sort((a, b) => a.index - b.index)) {
      if (!capabilitiesOn(acl, d.path).includes("update")) continue;
      for (const ns of d.namespaces) {
        // deployers are on the default cluster (components/members/rbac.ts deployerNamespaces)
        for (const e of kubernetes.roleGrants(home, ns, d.role)) {
          push(who, {
            system: "kubernetes",
            // the service account Vault's secrets engine creates for each lease, under a name of its own
            subject: `ServiceAccount system:serviceaccount:${ns}:<vault-lease>`,
            cluster: home,
            scope: `namespace:${ns}`,
            ...e,
            via: `Vault ${d.path} (token TTL ${d.ttl}s) -> Role ${ns}/${d.role}`,
          });
        }
      }
    }
  };

  const aliasOf = new Map(byType("vault:identity/entityAlias:EntityAlias").map((a) => [a.tenant, a]));
  for (const entity of byType("vault:identity/entity:Entity")) {
    const alias = aliasOf.get(entity.tenant);
    const email = alias ? String(alias.inputs.name) : undefined;
    const who = {
      principal: email ? `user:${email}` : `vault-entity:${entity.inputs.name}`,
      tenant: entity.tenant,
    };
    vaultRows(who, (entity.inputs.policies ?? []) as string[], `entity ${entity.inputs.name}`);
  }
  for (const role of byType("vault:kubernetes/authBackendRole:AuthBackendRole")) {
    const sas = (role.inputs.boundServiceAccountNamespaces as string[]).flatMap((ns) =>
      (role.inputs.boundServiceAccountNames as string[]).map((n) => `${ns}/${n}`),
    );
    const who = {
      principal: `vault-k8s-auth:${role.inputs.backend}/${role.inputs.roleName}`,
      tenant: role.tenant,
    };
    vaultRows(who, (role.inputs.tokenPolicies ?? []) as string[], `service account ${sas.join(", ")}`);
  }
  for (const role of byType("vault:jwt/authBackendRole:AuthBackendRole")) {
    const claims = Object.entries((role.inputs.boundClaims ?? {}) as Record<string, string>).map(
      ([k, v]) => `${k}=${v}`,
    );
    const who = {
      principal: `vault-jwt:${role.inputs.backend}/${role.inputs.roleName}`,
      tenant: role.tenant,
    };
    vaultRows(who, (role.inputs.tokenPolicies ?? []) as string[], `ID token with ${claims.join(", ")}`);
  }
}
