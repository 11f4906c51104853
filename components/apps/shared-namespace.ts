import { MANAGED_BY } from "../core/labels";
import {
  FENCE_POLICIES,
  type NetworkSettings,
  networkPolicySpecs,
  podSecurityLabels,
} from "../network/policy";
import { TLS_SECRET } from "../tls/policy";
import { type Ref, type ResourceSpec, type Specs, kubernetesObject, secret } from "../core/spec";

export interface SharedAppNamespaceArgs {
  /** The namespace, reserved for the app: no tenant may claim it. */
  namespace: string;
  app: string;
  network: NetworkSettings;
  /** Pod Security version label. */
  podSecurityVersion: string;
  /** copy TLS mode: the shared TLS secret's data (a `sharedTls` reference). @default - no copy */
  tlsCopyData?: Ref;
}

/**
 * The namespace an app whose instances live together runs them in (as existing installations run one
 * namespace per app, an instance per user). The platform's own, not a tenant's: no tenant is bound in it;
 * Pod Security restricted; default deny, only the ingress controller in and DNS out, so instances of
 * different users cannot reach each other. Returns the component.
 */
export function sharedAppNamespace(
  specs: Specs,
  name: string,
  args: SharedAppNamespaceArgs,
  provider: ResourceSpec,
): ResourceSpec {
  const component = specs.component("tenancy:apps:SharedAppNamespace", name, { providers: [provider] });
  const within = { parent: component, provider };
  const labels = { ...MANAGED_BY, "app.kubernetes.io/name": args.app };
  const podSecurity = podSecurityLabels({
    enforce: "restricted",
    audit: "restricted",
    warn: "restricted",
    version: args.podSecurityVersion,
  });
  const namespace = kubernetesObject("v1", "Namespace", {
    metadata: { name: args.namespace, labels: { ...labels, ...podSecurity } },
  });
  const ns = specs.resource(namespace.type, `${name}-namespace`, namespace.inputs, within, {
    protect: true,
    deleteBeforeReplace: true,
  });
  const inside = { dependsOn: [ns.key], deletedWith: ns };
  // no same-tenant policy: there is no tenant here, and no extras: they are for tenant namespaces
  const policies = networkPolicySpecs(args.app, { ...args.network, extraIngress: [], extraEgress: [] });
  for (const role of ["default-deny", "dns-egress", "from-ingress-controller"] as const) {
    const policy = kubernetesObject("networking.k8s.io/v1", "NetworkPolicy", {
      metadata: { name: `tenancy-${role}`, namespace: args.namespace, labels },
      spec: policies[role]!,
    });
    specs.resource(policy.type, `${name}-netpol/${role}`, policy.inputs, within, {
      ...inside,
      ...(FENCE_POLICIES.has(role) ? { protect: true } : {}),
    });
  }
  if (args.tlsCopyData !== undefined) {
    const tls = kubernetesObject("v1", "Secret", {
      metadata: { name: TLS_SECRET, namespace: args.namespace, labels },
      type: "kubernetes.io/tls",
      data: secret(args.tlsCopyData),
    });
    specs.resource(tls.type, `${name}-tls`, tls.inputs, within, inside);
  }
  return component;
}
