import { MANAGED_BY } from "../core/labels";
import {
  FENCE_POLICIES,
  type NetworkSettings,
  networkPolicySpecs,
  podSecurityLabels,
} from "../network/policy";
import { TLS_SECRET } from "../tls/policy";
import { type Ref, type ResourceSpec, type Specs, secret } from "../core/spec";

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
  const ns = specs.kubernetes(
    `${name}-namespace`,
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: args.namespace, labels: { ...labels, ...podSecurity } },
    },
    within,
    { protect: true, deleteBeforeReplace: true },
  );
  const inside = { dependsOn: [ns.key], deletedWith: ns };
  // no same-tenant policy: there is no tenant here, and no extras: they are for tenant namespaces
  const policies = networkPolicySpecs(args.app, { ...args.network, extraIngress: [], extraEgress: [] });
  for (const role of ["default-deny", "dns-egress", "from-ingress-controller"] as const) {
    specs.kubernetes(
      `${name}-netpol/${role}`,
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: `tenancy-${role}`, namespace: args.namespace, labels },
        spec: policies[role]!,
      },
      within,
      { ...inside, ...(FENCE_POLICIES.has(role) ? { protect: true } : {}) },
    );
  }
  if (args.tlsCopyData !== undefined) {
    specs.kubernetes(
      `${name}-tls`,
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: TLS_SECRET, namespace: args.namespace, labels },
        type: "kubernetes.io/tls",
        data: secret(args.tlsCopyData),
      },
      within,
      inside,
    );
  }
  return component;
}
