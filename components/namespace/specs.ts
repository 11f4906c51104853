import { ADMISSION_PARAMS, ADMISSION_PARAMS_LABELS } from "../admission/params";
import { tenantLabels } from "../core/labels";
import { type NamespaceTls, TLS_SECRET, certificate } from "../tls/policy";
import {
  FENCE_POLICIES,
  type NetworkSettings,
  type TenantReach,
  networkPolicySpecs,
  podSecurityLabels,
} from "../network/policy";
import type { Limits, PodSecurity, Quota } from "../../registry/model";
import { type Ref, type ResourceSpec, type Specs, secret, specKey } from "../core/spec";

export const TENANT_NAMESPACE = "tenancy:k8s:TenantNamespace";

/**
 * The Namespace object of the TenantNamespace `name`: what every object inside the namespace is deleted with,
 * the bindings of other concerns too (ARCHITECTURE.md, "Safety").
 */
export function namespaceObject(specs: Specs, name: string): ResourceSpec {
  return specs.get(specKey("kubernetes:core/v1:Namespace", `${name}-namespace`))!;
}

export interface TenantNamespaceArgs {
  /** Owning tenant id; becomes the `tenancy.io/tenant` label that network isolation selects on. */
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
   * Reach within the tenant: its namespaces this one lets in, and those that let it in (the namespace entry's
   * `network.from`, resolved).
   * @default - every namespace of the tenant, both ways
   */
  reach?: TenantReach;
  /**
   * Protect the namespace (and so its volumes) from deletion. Plain boolean: it decides the resource's options.
   * @default true - false only while the tenant is offboarding
   */
  protect?: boolean;
  /**
   * TLS for the hostnames it serves: a cert-manager Certificate, or a copy of the environment's shared TLS
   * secret (its data, read at run time and kept secret).
   * @default - none
   */
  tls?: NamespaceTls;
  /** copy mode: the shared TLS secret's data (a `sharedTls` reference). */
  tlsCopyData?: Ref;
  /**
   * Names of the quota, limit range and TLS secret (`names` of the environment).
   * @default tenant-quota, tenant-limits, tenant-tls
   */
  objectNames?: { quota: string; limits: string; tlsSecret: string };
  /**
   * Fences applied under another name (policy/names.ts `renamedObjects`): registered unprotected for this update,
   * so the engine replaces them, the new object first (ARCHITECTURE.md, "Safety", renames).
   * @default - none
   */
  renamed?: ReadonlySet<"quota" | "limits" | "tlsSecret">;
  /**
   * The tenant's admission parameters (components/admission/policy.ts), kept in the ConfigMap the admission policies read
   * in this namespace. @default - none: no parametrised policy is on
   */
  admissionParams?: Record<string, string>;
  /**
   * What the Namespace object waits for: the tenant's AdminNetworkPolicy on this cluster (components/network/
   * layer.ts), so it exists before the namespace does, and a removal deletes it after the namespace.
   * @default - nothing
   */
  namespaceDependsOn?: ResourceSpec[];
}

/**
 * One tenant namespace: the Namespace (tenant and Pod Security labels), its ResourceQuota, a LimitRange so
 * pods without requests still schedule under the quota, and NetworkPolicies isolating it from other tenants.
 *
 * Protection (ARCHITECTURE.md, "Safety"): everything inside goes only with the namespace (`deletedWith`: when
 * the namespace is deleted, Kubernetes deletes its contents and the engine does not delete them one by one
 * first). The fences (ResourceQuota, LimitRange, the default-deny policy) are protected with the namespace,
 * so removing a protected namespace from the program cannot strip them before the namespace's own delete is
 * refused; allowances (the other policies) are not, so an environment that drops an allowance can apply it.
 * Returns the component.
 */
export function tenantNamespace(
  specs: Specs,
  name: string,
  args: TenantNamespaceArgs,
  provider: ResourceSpec,
): ResourceSpec {
  const component = specs.component(
    TENANT_NAMESPACE,
    name,
    { providers: [provider] },
    { tenant: args.tenant },
  );
  const protect = args.protect ?? true;
  const tlsSecret = args.objectNames?.tlsSecret ?? TLS_SECRET;
  const labels = { ...tenantLabels(args.tenant), ...podSecurityLabels(args.podSecurity) };
  const within = { parent: component, provider };
  const ns = specs.kubernetes(
    `${name}-namespace`,
    { apiVersion: "v1", kind: "Namespace", metadata: { name: args.namespace, labels } },
    within,
    // the namespace's name is its identity: replace means delete first
    {
      protect,
      deleteBeforeReplace: true,
      ...(args.namespaceDependsOn?.length ? { dependsOn: args.namespaceDependsOn.map((d) => d.key) } : {}),
    },
  );
  const fence = { dependsOn: [ns.key], deletedWith: ns, protect };
  // a renamed fence is replaced, which the engine refuses while it is protected in both its state and the
  // program (step_generator.go); unprotected for this update, its new object is made before the old one goes
  const fenceOf = (object: "quota" | "limits") =>
    args.renamed?.has(object) ? { ...fence, protect: false } : fence;
  const allowance = { dependsOn: [ns.key], deletedWith: ns };
  const meta = (objectName: string) => ({
    name: objectName,
    namespace: args.namespace,
    labels: tenantLabels(args.tenant),
  });

  specs.kubernetes(
    `${name}-quota`,
    {
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: meta(args.objectNames?.quota ?? "tenant-quota"),
      spec: { hard: { ...args.quota } },
    },
    within,
    fenceOf("quota"),
  );

  const limit: Record<string, unknown> = { type: "Container" };
  if (args.limits.default) limit.default = { ...args.limits.default };
  if (args.limits.defaultRequest) limit.defaultRequest = { ...args.limits.defaultRequest };
  if (args.limits.max) limit.max = { ...args.limits.max };
  specs.kubernetes(
    `${name}-limits`,
    {
      apiVersion: "v1",
      kind: "LimitRange",
      metadata: meta(args.objectNames?.limits ?? "tenant-limits"),
      spec: { limits: [limit] },
    },
    within,
    fenceOf("limits"),
  );

  for (const [role, spec] of Object.entries(networkPolicySpecs(args.tenant, args.network, args.reach))) {
    specs.kubernetes(
      `${name}-netpol/${role}`,
      { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: meta(`tenancy-${role}`), spec },
      within,
      // named `${name}-netpol-${role}` before the child-name rule (ARCHITECTURE.md, "Names")
      { ...(FENCE_POLICIES.has(role) ? fence : allowance), aliases: [`${name}-netpol-${role}`] },
    );
  }

  if (args.admissionParams) {
    // not a fence: without it, every request the parametrised policies match in this namespace is denied
    specs.kubernetes(
      `${name}-admission`,
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          ...meta(ADMISSION_PARAMS),
          labels: { ...tenantLabels(args.tenant), ...ADMISSION_PARAMS_LABELS },
        },
        data: { ...args.admissionParams },
      },
      within,
      allowance,
    );
  }

  if (args.tls?.kind === "certificate") {
    const cert = certificate(tlsSecret, args.namespace, tenantLabels(args.tenant), args.tls, tlsSecret);
    specs.kubernetes(`${name}-certificate`, cert, within, allowance);
  } else if (args.tls?.kind === "copy") {
    specs.kubernetes(
      `${name}-tls`,
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: meta(tlsSecret),
        type: "kubernetes.io/tls",
        // key material: kept secret in the state, never shown by `plan`
        data: secret(args.tlsCopyData ?? {}),
      },
      within,
      allowance,
    );
  }
  return component;
}
