/**
 * Admission allowances: a tenant's tier's own, else the environment's defaults, else the built-in ones
 * (components/admission/policy.ts turns them into each namespace's parameters).
 */
import type { z } from "zod";
import type { EnvironmentModel, TenantAdmission } from "../../registry/model";
import type { TierAdmission } from "./schema";

type TierAdmissionData = z.output<typeof TierAdmission>;

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
