import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MANAGED_BY } from "../policy/labels";
import {
  FENCE_POLICIES,
  type NetworkSettings,
  networkPolicySpecs,
  podSecurityLabels,
} from "../policy/network";
import { TLS_SECRET } from "../policy/tls";

export interface SharedAppNamespaceArgs {
  /** The namespace, reserved for the app: no tenant may claim it. */
  namespace: string;
  app: string;
  network: NetworkSettings;
  /** Pod Security version label. */
  podSecurityVersion: string;
  /** copy TLS mode: the shared TLS secret's data. @default - no copy */
  tlsCopyData?: pulumi.Input<Record<string, string>>;
}

/**
 * The namespace an app whose instances live together runs them in (as existing installations run one
 * namespace per app, an instance per user). The platform's own, not a tenant's: no tenant is bound in it;
 * Pod Security restricted; default deny, only the ingress controller in and DNS out, so instances of
 * different users cannot reach each other.
 */
export class SharedAppNamespace extends pulumi.ComponentResource {
  readonly namespace: k8s.core.v1.Namespace;

  constructor(name: string, args: SharedAppNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:apps:SharedAppNamespace", name, {}, opts);
    const labels = { ...MANAGED_BY, "app.kubernetes.io/name": args.app };
    const ns = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: args.namespace,
          labels: {
            ...labels,
            ...podSecurityLabels({
              enforce: "restricted",
              audit: "restricted",
              warn: "restricted",
              version: args.podSecurityVersion,
            }),
          },
        },
      },
      { parent: this, protect: true, deleteBeforeReplace: true },
    );
    const inside = { parent: this, dependsOn: [ns], deletedWith: ns };
    // no same-tenant policy: there is no tenant here, and no extras: they are for tenant namespaces
    const specs = networkPolicySpecs(args.app, { ...args.network, extraIngress: [], extraEgress: [] });
    for (const role of ["default-deny", "dns-egress", "from-ingress-controller"] as const)
      new k8s.networking.v1.NetworkPolicy(
        `${name}-netpol/${role}`,
        { metadata: { name: `tenancy-${role}`, namespace: args.namespace, labels }, spec: specs[role]! },
        { ...inside, ...(FENCE_POLICIES.has(role) ? { protect: true } : {}) },
      );
    if (args.tlsCopyData !== undefined)
      new k8s.core.v1.Secret(
        `${name}-tls`,
        {
          metadata: { name: TLS_SECRET, namespace: args.namespace, labels },
          type: "kubernetes.io/tls",
          data: pulumi.secret(args.tlsCopyData),
        },
        inside,
      );
    this.namespace = ns;
    this.registerOutputs({ namespace: args.namespace });
  }
}
