import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Limits, PodSecurity, Quota } from "../registry/model";
import { MANAGED_BY, NAMESPACE_NAME_LABEL, TENANT_LABEL } from "./labels";

export interface NetworkPeer {
  namespace?: string;
  podLabels?: Record<string, string>;
  cidr?: string;
  ports?: { port: number; protocol: "TCP" | "UDP" }[];
}

export interface NetworkSettings {
  /** Where cluster DNS runs; the only egress allowed outside the tenant by default. */
  dns: { namespace: string; podLabels: Record<string, string> };
  /** The ingress controller, allowed in. */
  ingressController: { namespace: string; podLabels?: Record<string, string> };
  /** Further allowances, opt-in from the environment. @default - none */
  extraIngress?: NetworkPeer[];
  /** @default - none */
  extraEgress?: NetworkPeer[];
}

export interface TenantNamespaceArgs {
  /** Owning tenant id; becomes the {@link TENANT_LABEL} label that network isolation selects on. */
  tenant: string;
  /** The namespace's name (explicit: it is the physical name). */
  namespace: string;
  podSecurity: PodSecurity;
  /** ResourceQuota hard limits, already merged environment <- tier <- tenant <- namespace. */
  quota: Quota;
  /** LimitRange defaults for containers, already merged. */
  limits: Limits;
  network: NetworkSettings;
  /**
   * Protect the namespace (and so its volumes) from deletion. Plain boolean: it decides the resource's options.
   * @default true - false only while the tenant is offboarding
   */
  protect?: boolean;
}

/** Pod Security admission labels for a namespace. */
export function podSecurityLabels(ps: PodSecurity): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const mode of ["enforce", "audit", "warn"] as const) {
    labels[`pod-security.kubernetes.io/${mode}`] = ps[mode];
    labels[`pod-security.kubernetes.io/${mode}-version`] = ps.version;
  }
  return labels;
}

/** A NetworkPolicy peer for a namespace (selected by its immutable name label) and optional pod labels. */
function namespacePeer(namespace: string, podLabels?: Record<string, string>) {
  return {
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } },
    ...(podLabels ? { podSelector: { matchLabels: podLabels } } : {}),
  };
}

function extraPeer(p: NetworkPeer) {
  const peer =
    p.cidr !== undefined ? { ipBlock: { cidr: p.cidr } } : namespacePeer(p.namespace!, p.podLabels); // validation: exactly one of the two
  return { peer, ports: p.ports?.map((x) => ({ port: x.port, protocol: x.protocol })) };
}

/** The NetworkPolicy specs of a tenant namespace, keyed by the policy's role (also its name suffix). */
export function networkPolicySpecs(
  tenant: string,
  net: NetworkSettings,
): Record<string, k8s.types.input.networking.v1.NetworkPolicySpec> {
  const sameTenant = { namespaceSelector: { matchLabels: { [TENANT_LABEL]: tenant } } };
  const specs: Record<string, k8s.types.input.networking.v1.NetworkPolicySpec> = {
    "default-deny": { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    "same-tenant": {
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [sameTenant] }],
      egress: [{ to: [sameTenant] }],
    },
    "dns-egress": {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [namespacePeer(net.dns.namespace, net.dns.podLabels)],
          ports: [
            { port: 53, protocol: "UDP" },
            { port: 53, protocol: "TCP" },
          ],
        },
      ],
    },
    "from-ingress-controller": {
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [{ from: [namespacePeer(net.ingressController.namespace, net.ingressController.podLabels)] }],
    },
  };
  if (net.extraIngress?.length) {
    specs["extra-ingress"] = {
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: net.extraIngress
        .map(extraPeer)
        .map(({ peer, ports }) => ({ from: [peer], ...(ports ? { ports } : {}) })),
    };
  }
  if (net.extraEgress?.length) {
    specs["extra-egress"] = {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: net.extraEgress
        .map(extraPeer)
        .map(({ peer, ports }) => ({ to: [peer], ...(ports ? { ports } : {}) })),
    };
  }
  return specs;
}

/**
 * One tenant namespace: the Namespace (tenant and Pod Security labels), its ResourceQuota, a LimitRange so
 * pods without requests still schedule under the quota, and NetworkPolicies isolating it from other tenants.
 */
export class TenantNamespace extends pulumi.ComponentResource {
  /** The namespace's name, known once the Namespace exists. */
  readonly name: pulumi.Output<string>;

  constructor(name: string, args: TenantNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:k8s:TenantNamespace", name, {}, opts);
    const protect = args.protect ?? true;
    const labels = {
      ...MANAGED_BY,
      [TENANT_LABEL]: args.tenant,
      ...podSecurityLabels(args.podSecurity),
    };
    const ns = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: args.namespace, labels } },
      // the namespace's name is its identity: replace means delete first
      { parent: this, protect, deleteBeforeReplace: true },
    );
    const inNs = { parent: this, dependsOn: [ns] };
    const meta = (objectName: string) => ({
      name: objectName,
      namespace: args.namespace,
      labels: { ...MANAGED_BY, [TENANT_LABEL]: args.tenant },
    });

    new k8s.core.v1.ResourceQuota(
      `${name}-quota`,
      { metadata: meta("tenant-quota"), spec: { hard: { ...args.quota } } },
      inNs,
    );

    const limit: k8s.types.input.core.v1.LimitRangeItem = { type: "Container" };
    if (args.limits.default) limit.default = { ...args.limits.default };
    if (args.limits.defaultRequest) limit.defaultRequest = { ...args.limits.defaultRequest };
    if (args.limits.max) limit.max = { ...args.limits.max };
    new k8s.core.v1.LimitRange(
      `${name}-limits`,
      { metadata: meta("tenant-limits"), spec: { limits: [limit] } },
      inNs,
    );

    for (const [role, spec] of Object.entries(networkPolicySpecs(args.tenant, args.network))) {
      new k8s.networking.v1.NetworkPolicy(
        `${name}-netpol-${role}`,
        { metadata: meta(`tenancy-${role}`), spec },
        inNs,
      );
    }

    this.name = ns.metadata.name;
    this.registerOutputs({ tenant: args.tenant, name: this.name });
  }
}
