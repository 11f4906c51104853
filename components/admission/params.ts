/**
 * Each tenant's admission parameters (ARCHITECTURE.md, "Admission"): the ConfigMap every parametrised policy reads
 * in the namespace of the request, and what a tier's allowances mean for the platform's own pods.
 */
import type { EnvironmentModel, TenantModel } from "../../registry/model";
import { MANAGED_BY } from "../core/labels";
import { tenantSubject } from "../members/rbac";
import { PARAMETRISED_POLICIES } from "./schema";
import { appObjectName } from "../../policy/names";

/** The per-namespace parameter ConfigMap of the parametrised policies (platform-owned: tenants cannot write it). */
export const ADMISSION_PARAMS = "tenancy-admission";
/**
 * How the bindings find it: by the platform's labels, never by its name alone (a tenant's own ConfigMap of that
 * name, made before the platform's, would otherwise be its policy). Tenants cannot set the managed-by label
 * (the platformObjects policy), so no object of theirs matches.
 */
export const ADMISSION_PARAMS_LABELS: Readonly<Record<string, string>> = {
  ...MANAGED_BY,
  "tenancy.io/admission-params": "true",
};
/** Separator of list values in the parameter ConfigMap: no name that reaches it can hold a newline. */
export const SEP = "\n";

/** The parameter keys, each a list (joined by newlines) except `tenant` and `requireRuntimeClass`. */
export type AdmissionParams = Record<
  | "tenant"
  | "users"
  | "groups"
  | "namespaces"
  | "domains"
  | "serviceTypes"
  | "storageClasses"
  | "priorityClasses"
  | "runtimeClasses"
  | "requireRuntimeClass"
  | "ingressClasses"
  | "registries"
  | "imagePullPolicies"
  | "gatewayClasses"
  | "clusterIssuers"
  | "nodePools"
  | "tolerations"
  | "platformWorkloads",
  string
>;

/** Whether the parametrised policies are on, so that each tenant namespace needs its parameter ConfigMap. */
export function needsParams(env: EnvironmentModel): boolean {
  return PARAMETRISED_POLICIES.some((p) => env.admission.policies[p]);
}

/**
 * A tenant's parameters: its principal, namespaces and hostnames (its domains and the hosts of the app instances
 * in its namespaces), and its tier's allowances.
 */
export function admissionParams(env: EnvironmentModel, tenant: TenantModel): AdmissionParams {
  const subject = tenantSubject(env, tenant);
  const a = tenant.admission;
  const hosts = [
    ...tenant.domains.map((d) => d.name),
    ...tenant.apps.filter((x) => x.enabled && x.placement === "tenant").map((x) => x.host),
  ];
  const join = (xs: readonly string[]) => [...new Set(xs)].join(SEP);
  return {
    tenant: tenant.id,
    users: subject.kind === "User" ? subject.name : "",
    groups: subject.kind === "Group" ? subject.name : "",
    namespaces: join(tenant.namespaces.map((n) => n.name)),
    domains: join(hosts),
    serviceTypes: join(a.serviceTypes),
    storageClasses: join(a.storageClasses),
    priorityClasses: join(a.priorityClasses),
    runtimeClasses: join(a.runtimeClasses),
    requireRuntimeClass: String(a.requireRuntimeClass),
    ingressClasses: join(a.ingressClasses),
    registries: join(a.registries),
    imagePullPolicies: join(a.imagePullPolicies),
    gatewayClasses: join(a.gatewayClasses),
    clusterIssuers: join(a.clusterIssuers),
    nodePools: join(a.nodePools),
    tolerations: join(a.tolerations),
    // the workloads the platform runs in the tenant's namespaces, as namespace/name: their scale is the platform's
    platformWorkloads: join(
      tenant.apps
        .filter((x) => x.placement === "tenant")
        .map((x) => `${x.namespace}/${appObjectName(x, tenant.id)}`),
    ),
  };
}

/**
 * Whether an image may run under a tier's registries: the same rule as the workloads policy's CEL (an image
 * without a registry host is Docker Hub's, `docker.io/<name>`; an entry allows the images below it).
 */
export function imageAllowed(image: string, registries: readonly string[]): boolean {
  if (registries.includes("*")) return true;
  const first = image.split("/")[0]!;
  const hasHost =
    image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  const ref = hasHost ? image : `docker.io/${image}`;
  return registries.some((r) => ref.startsWith(`${r}/`));
}

/** The RuntimeClass a platform-made pod names: the tier's first concrete one where the tier requires one. */
export function requiredRuntimeClass(a: TenantModel["admission"]): string | undefined {
  return a.requireRuntimeClass ? a.runtimeClasses.find((c) => c !== "*") : undefined;
}

/** The node pool a platform-made pod selects: the tier's first where the tier names pools. */
export function requiredNodePool(a: TenantModel["admission"]): string | undefined {
  return a.nodePools.includes("*") ? undefined : a.nodePools[0];
}
