/**
 * Layer "platform": per tenant its namespaces (quota, limits, network isolation, Pod Security) and its
 * Kubernetes access; the shared cluster roles once. Exports each tenant's namespaces for downstream layers.
 */
import { admissionPolicies as admissionPolicySpecs } from "../components/admission/specs";
import { sharedClusterRoles } from "../components/members/cluster-roles";
import { type Ref, type ResourceSpec, Specs, type StackSpecs } from "../components/core/spec";
import { tenantAccess } from "../components/members/access";
import { tenantGrants } from "../components/clusters/grants";
import { tenantNamespace } from "../components/namespace/specs";
import { admissionParams, admissionPolicies, needsParams } from "../components/admission/policy";
import { tenantDigest } from "../components/events/policy";
import { names } from "../policy/names";
import { clusterPrefix, defaultCluster, onCluster } from "../components/clusters/placement";
import {
  activeMembers,
  activeNamespaces,
  isOffboarding,
  namespaceOwners,
  tenantSubject,
} from "../components/members/rbac";
import { type NamespaceTls, namespaceTls } from "../components/tls/policy";
import { WHOLE, shardCount } from "../layers/shards";
import type { LayerInput } from "./layer";
import { Providers } from "./providers";

export function platformProgram(input: LayerInput): StackSpecs {
  const { model, tenants } = input;
  const env = model.environment;
  const specs = new Specs();
  const providers = Providers.of(specs, input);
  // every cluster's provider, whichever tenants this stack holds (ARCHITECTURE.md, "Clusters")
  const clusters = env.clusters.map((c) => c.name);
  const provider = new Map(clusters.map((c) => [c, providers.kubernetes(c)]));
  const on = (cluster: string, name: string) => onCluster(env.clusters, cluster, name);
  // copy mode: the shared TLS secret, read once per cluster at run time (its data stays secret)
  const tlsCopyData = new Map(
    env.tls.copy ? clusters.map((c) => [c, providers.sharedTlsData(env.tls.copy!, c)]) : [],
  );
  if ((input.part ?? WHOLE).shared) {
    const policies = admissionPolicies(env);
    const bundles = Object.fromEntries(Object.entries(env.roleBundles).map(([b, { rules }]) => [b, rules]));
    for (const c of clusters) {
      const p = provider.get(c)!;
      sharedClusterRoles(specs, on(c, "shared"), { extraRules: env.rbac.extraRules, bundles }, p);
      if (policies.length > 0) admissionPolicySpecs(specs, on(c, "admission"), { policies }, p);
    }
  }
  const withParams = needsParams(env);
  const n = names(env);
  const byId = new Map(model.tenants.map((t) => [t.id, t]));
  const exported: Record<string, { namespaces: string[]; offboarding: boolean; digest: string }> = {};
  for (const tenant of tenants) {
    const params = withParams ? admissionParams(env, tenant) : undefined;
    // by cluster and namespace name
    const components = new Map<string, ResourceSpec>();
    const clustersOf = new Map(tenant.namespaces.map((ns) => [ns.name, ns.clusters]));
    for (const ns of tenant.namespaces) {
      for (const c of ns.clusters) {
        const component = tenantNamespace(
          specs,
          on(c, ns.name),
          {
            tenant: tenant.id,
            namespace: ns.name,
            podSecurity: tenant.podSecurity,
            quota: ns.quota,
            limits: ns.limits,
            network: env.network,
            protect: !isOffboarding(tenant, ns),
            ...tlsArgs(namespaceTls(env, tenant, ns), tlsCopyData.get(c)),
            ...(params ? { admissionParams: params } : {}),
            objectNames: {
              quota: n.quota(tenant.id, ns.name),
              limits: n.limits(tenant.id, ns.name),
              tlsSecret: n.tlsSecret(tenant.id, ns.name),
            },
          },
          provider.get(c)!,
        );
        components.set(`${c}/${ns.name}`, component);
      }
    }
    if (!tenant.offboarding) {
      const active = activeNamespaces(tenant);
      const members = activeMembers(env, byId, tenant);
      for (const c of tenant.clusters) {
        const here = (list: readonly string[]) => list.filter((ns) => clustersOf.get(ns)?.includes(c));
        const activeHere = here(active);
        // the bindings wait for their namespaces (not only for the provider's retries)
        const dependsOn = activeHere.map((ns) => components.get(`${c}/${ns}`)!.key);
        tenantAccess(
          specs,
          on(c, tenant.id),
          {
            tenant: tenant.id,
            subject: tenantSubject(env, tenant),
            bindingNames: {
              owner: Object.fromEntries(activeHere.map((ns) => [ns, n.ownerBinding(tenant.id, ns)])),
              member: (ns: string, member: string) => n.memberBinding(tenant.id, ns, member),
              cluster: n.clusterBinding(tenant.id, tenant.role),
            },
            role: tenant.role,
            namespaces: activeHere,
            members: members
              .map((m) => ({ ...m, namespaces: here(m.namespaces) }))
              .filter((m) => m.namespaces.length > 0),
            childPrefix: clusterPrefix(env.clusters, c),
          },
          provider.get(c)!,
          dependsOn,
        );
        const grants = tenant.grants
          .filter((g) => g.clusters.includes(c))
          .map((g) => ({ ...g, namespaces: here(g.namespaces.filter((ns) => active.includes(ns))) }))
          .filter((g) => g.scope === "cluster" || g.namespaces.length > 0);
        if (grants.length > 0)
          tenantGrants(
            specs,
            on(c, tenant.id),
            { tenant: tenant.id, subject: tenantSubject(env, tenant), grants },
            provider.get(c)!,
            dependsOn,
          );
      }
    }
    exported[tenant.id] = {
      namespaces: tenant.namespaces.map((n) => n.name),
      offboarding: tenant.offboarding,
      // the record as applied: the next up tells a changed tenant by it (components/events/policy.ts)
      digest: tenantDigest(tenant, env),
    };
  }
  const outputs = {
    tenants: exported,
    // every namespace with its owner and clusters: what the guard compares a registry change against
    namespaces: namespaceOwners(tenants),
    // the shard count this layout was applied with (the guard refuses a count change whose state was not
    // moved) and the default cluster (whose objects have bare names): every platform stack, shards too, keeps
    // both, so that each guards itself when run on its own (stacks/direct.ts)
    shards: shardCount(env),
    defaultCluster: defaultCluster(env.clusters),
  };
  return { resources: specs.list, outputs, reads: [] };
}

function tlsArgs(tls: NamespaceTls | undefined, copyData: Ref | undefined) {
  if (!tls) return {};
  return tls.kind === "copy" ? { tls, ...(copyData ? { tlsCopyData: copyData } : {}) } : { tls };
}
