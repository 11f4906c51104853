/**
 * The namespace concern's part of the platform layer: per namespace and cluster of a tenant, its
 * TenantNamespace (with its fences, TLS and admission parameters), left under its handle for the bindings.
 */
import type { Contribution } from "../../layers/stack";
import { names, renamedObjects } from "../../policy/names";
import { admissionParams, needsParams } from "../admission/params";
import { namespaceHandle, namespaceObjectHandle, onCluster } from "../clusters/placement";
import type { Ref } from "../core/spec";
import { isOffboarding } from "../members/rbac";
import { type NamespaceTls, namespaceTls } from "../tls/policy";
import { adminPolicyHandle } from "../network/layer";
import { namespaceObject, tenantNamespace } from "./specs";

export const tenantNamespaces: Contribution = ({ input, specs, providers, handles }) => {
  const env = input.model.environment;
  const withParams = needsParams(env);
  const n = names(env);
  // copy mode: the shared TLS secret, read per cluster at run time (its data stays secret)
  const tlsCopyData = (c: string) => (env.tls.copy ? providers.sharedTlsData(env.tls.copy, c) : undefined);
  for (const tenant of input.tenants) {
    const params = withParams ? admissionParams(env, tenant) : undefined;
    for (const ns of tenant.namespaces)
      for (const c of ns.clusters) {
        // the tenant's AdminNetworkPolicy there, when the environment has them: the namespace waits for it
        const fence = handles.get(adminPolicyHandle(c, tenant.id));
        const component = tenantNamespace(
          specs,
          onCluster(env.clusters, c, ns.name),
          {
            tenant: tenant.id,
            namespace: ns.name,
            podSecurity: tenant.podSecurity,
            quota: ns.quota,
            limits: ns.limits,
            network: env.network,
            reach: {
              from: ns.reachFrom,
              to: tenant.namespaces.filter((o) => o.reachFrom.includes(ns.name)).map((o) => o.name),
            },
            protect: !isOffboarding(tenant, ns),
            ...tlsArgs(namespaceTls(env, tenant, ns), tlsCopyData(c)),
            ...(params ? { admissionParams: params } : {}),
            ...(fence ? { namespaceDependsOn: [fence] } : {}),
            objectNames: {
              quota: n.quota(tenant.id, ns.name),
              limits: n.limits(tenant.id, ns.name),
              tlsSecret: n.tlsSecret(tenant.id, ns.name),
            },
            // a `names` template change: the fences it renames are replaced, unprotected for this update
            renamed: renamedObjects(input.applied, n, tenant.id, ns.name, c),
          },
          providers.kubernetes(c),
        );
        handles.set(namespaceHandle(c, ns.name), component);
        // what the bindings inside it are deleted with (ARCHITECTURE.md, "Safety")
        handles.set(namespaceObjectHandle(c, ns.name), namespaceObject(specs, component.name));
      }
  }
};

function tlsArgs(tls: NamespaceTls | undefined, copyData: Ref | undefined) {
  if (!tls) return {};
  return tls.kind === "copy" ? { tls, ...(copyData ? { tlsCopyData: copyData } : {}) } : { tls };
}
