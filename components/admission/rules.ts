/**
 * Admission allowances: a tenant's tier's own, else the environment's defaults, else the built-in ones
 * (components/admission/policy.ts turns them into each namespace's parameters).
 */
import type { z } from "zod";
import type { EnvironmentModel, TenantAdmission } from "../../registry/model";
import type { TierAdmission } from "./schema";

type TierAdmissionData = z.output<typeof TierAdmission>;

/**
 * The StorageClasses the environment lists (`storageClasses`): a tier may name only those, and the clusters have
 * at most one default. Nothing is checked when it lists none.
 */
export function checkStorageClasses(
  env: Pick<EnvironmentModel, "storageClasses" | "tiers" | "defaults">,
  at: (path: (string | number)[], message: string) => void,
): void {
  const declared = Object.keys(env.storageClasses);
  if (declared.length === 0) return;
  const defaults = declared.filter((c) => env.storageClasses[c]!.default);
  if (defaults.length > 1)
    at(["storageClasses"], `name at most one default class (${defaults.join(", ")} say default: true)`);
  const tiers: [(string | number)[], TierAdmissionData | undefined][] = [
    [["defaults", "admission"], env.defaults.admission],
    ...Object.entries(env.tiers).map(
      ([name, t]) =>
        [["tiers", name, "admission"], t.admission] as [(string | number)[], TierAdmissionData | undefined],
    ),
  ];
  for (const [path, a] of tiers)
    (a?.storageClasses ?? []).forEach((c, i) => {
      if (c !== "*" && !declared.includes(c))
        at(
          [...path, "storageClasses", i],
          `${JSON.stringify(c)} is not one of the clusters' StorageClasses the environment lists (storageClasses: ${declared.join(", ")})`,
        );
    });
}

/** A tier's admission allowances, resolved: the tier's own, else the environment's defaults, else the built-in ones. */
export function tenantAdmission(env: EnvironmentModel, tier: TierAdmissionData | undefined): TenantAdmission {
  const d = env.defaults.admission;
  const pick = <K extends keyof TierAdmissionData>(key: K) => tier?.[key] ?? d?.[key];
  const className = env.network.ingressController.className;
  return {
    serviceTypes: [...(pick("serviceTypes") ?? [])],
    storageClasses: [...(pick("storageClasses") ?? ["*"])],
    priorityClasses: [...(pick("priorityClasses") ?? [])],
    runtimeClasses: [...(pick("runtimeClasses") ?? ["*"])],
    requireRuntimeClass: pick("requireRuntimeClass") ?? false,
    ingressClasses: [...(pick("ingressClasses") ?? (className ? [className] : ["*"]))],
    registries: [...(pick("registries") ?? ["*"])],
    imagePullPolicies: [...(pick("imagePullPolicies") ?? ["Always", "IfNotPresent", "Never"])],
    gatewayClasses: [...(pick("gatewayClasses") ?? [])],
    clusterIssuers: [
      ...(pick("clusterIssuers") ??
        (env.tls.mode === "cert-manager" && env.tls.issuerKind === "ClusterIssuer" && env.tls.issuer
          ? [env.tls.issuer]
          : [])),
    ],
    nodePools: [...(pick("nodePools") ?? ["*"])],
    tolerations: [...(pick("tolerations") ?? [])],
  };
}
