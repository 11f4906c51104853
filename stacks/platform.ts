/**
 * Layer "platform": per tenant its namespaces (quota, limits, network isolation, Pod Security) and its
 * Kubernetes access; the shared cluster roles once. Exports each tenant's namespaces for downstream layers.
 */
import type * as pulumi from "@pulumi/pulumi";
import { AdmissionPolicies } from "../components/admission-policies";
import { SharedClusterRoles } from "../components/cluster-roles";
import { TenantAccess } from "../components/tenant-access";
import { TenantNamespace } from "../components/tenant-namespace";
import { admissionParams, admissionPolicies, needsParams } from "../policy/admission";
import { tenantDigest } from "../policy/events";
import { names } from "../policy/names";
import { activeMembers, activeNamespaces, isOffboarding, tenantSubject } from "../policy/rbac";
import { type NamespaceTls, namespaceTls } from "../policy/tls";
import { WHOLE, shardCount } from "../layers/shards";
import type { LayerInput } from "./layer";
import { Providers } from "./providers";

export async function platformProgram(input: LayerInput): Promise<Record<string, unknown>> {
  const { model, tenants } = input;
  const env = model.environment;
  const providers = Providers.of(input);
  const provider = providers.kubernetes();
  // copy mode: the shared TLS secret, read once at run time (its data stays secret)
  const tlsCopyData = env.tls.copy ? providers.sharedTlsData(env.tls.copy) : undefined;
  if ((input.part ?? WHOLE).shared) {
    new SharedClusterRoles("shared", { extraRules: env.rbac.extraRules }, { providers: [provider] });
    const policies = admissionPolicies(env);
    if (policies.length > 0) new AdmissionPolicies("admission", { policies }, { providers: [provider] });
  }
  const withParams = needsParams(env);
  const n = names(env);
  const byId = new Map(model.tenants.map((t) => [t.id, t]));
  const exported: Record<string, { namespaces: string[]; offboarding: boolean; digest: string }> = {};
  // every namespace with its owner: what the guard compares a registry change against (handovers, removals)
  const namespaces: Record<string, { tenant: string; offboarding: boolean }> = {};
  for (const tenant of tenants) {
    const params = withParams ? admissionParams(env, tenant) : undefined;
    const components = new Map<string, TenantNamespace>();
    for (const ns of tenant.namespaces) {
      namespaces[ns.name] = { tenant: tenant.id, offboarding: isOffboarding(tenant, ns) };
      const component = new TenantNamespace(
        ns.name,
        {
          tenant: tenant.id,
          namespace: ns.name,
          podSecurity: tenant.podSecurity,
          quota: ns.quota,
          limits: ns.limits,
          network: env.network,
          protect: !isOffboarding(tenant, ns),
          ...tlsArgs(namespaceTls(env, tenant, ns), tlsCopyData),
          ...(params ? { admissionParams: params } : {}),
          objectNames: {
            quota: n.quota(tenant.id, ns.name),
            limits: n.limits(tenant.id, ns.name),
            tlsSecret: n.tlsSecret(tenant.id, ns.name),
          },
        },
        { providers: [provider] },
      );
      components.set(ns.name, component);
    }
    if (!tenant.offboarding) {
      const active = activeNamespaces(tenant);
      new TenantAccess(
        tenant.id,
        {
          tenant: tenant.id,
          subject: tenantSubject(env, tenant),
          bindingNames: {
            owner: Object.fromEntries(active.map((ns) => [ns, n.ownerBinding(tenant.id, ns)])),
            member: (ns: string, member: string) => n.memberBinding(tenant.id, ns, member),
            cluster: n.clusterBinding(tenant.id, tenant.role),
          },
          role: tenant.role,
          namespaces: active,
          members: activeMembers(env, byId, tenant),
        },
        // the bindings wait for their namespaces (not only for the provider's retries)
        { providers: [provider], dependsOn: active.map((n) => components.get(n)!) },
      );
    }
    exported[tenant.id] = {
      namespaces: tenant.namespaces.map((n) => n.name),
      offboarding: tenant.offboarding,
      // the record as applied: the next up tells a changed tenant by it (policy/events.ts)
      digest: tenantDigest(tenant),
    };
  }
  // the shard count this layout was applied with: the guard refuses a count change whose state was not moved
  return {
    tenants: exported,
    namespaces,
    ...((input.part ?? WHOLE).shared ? { shards: shardCount(env) } : {}),
  };
}

function tlsArgs(tls: NamespaceTls | undefined, copyData: pulumi.Output<Record<string, string>> | undefined) {
  if (!tls) return {};
  return tls.kind === "copy" ? { tls, ...(copyData ? { tlsCopyData: copyData } : {}) } : { tls };
}
