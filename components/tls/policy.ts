/**
 * TLS for a tenant namespace as plain data: which certificate it gets, by the environment's mode. A
 * namespace gets one when it serves hostnames (the tenant's domains assigned to it, a configured
 * `*.<namespace>.<zone>` wildcard) or, in copy mode, also when it runs an app instance.
 */
import type { EnvironmentModel, NamespaceModel, TenantModel } from "../../registry/model";
import { isOffboarding } from "../members/rbac";

/** The TLS secret every tenant namespace's ingresses use. */
export const TLS_SECRET = "tenant-tls";

/** The wildcard name a namespace's certificate also carries (`tls.namespaceWildcard`, cert-manager mode), if any. */
export function namespaceWildcard(env: EnvironmentModel, namespace: string): string | undefined {
  const zone = env.tls.mode === "cert-manager" ? env.tls.namespaceWildcard : undefined;
  return zone === undefined ? undefined : `*.${namespace}.${zone}`;
}

export type NamespaceTls =
  | { kind: "certificate"; issuer: string; issuerKind: "ClusterIssuer" | "Issuer"; dnsNames: string[] }
  | { kind: "copy" };

export function namespaceTls(
  env: EnvironmentModel,
  tenant: TenantModel,
  ns: NamespaceModel,
): NamespaceTls | undefined {
  const tls = env.tls;
  if (tls.mode === "none" || isOffboarding(tenant, ns)) return undefined;
  const served = tenant.domains.filter((d) => d.namespace === ns.name).map((d) => d.name);
  if (tls.mode === "copy") {
    const apps = tenant.apps.some((a) => a.enabled && a.placement === "tenant" && a.namespace === ns.name);
    return served.length > 0 || apps ? { kind: "copy" } : undefined;
  }
  const wildcard = namespaceWildcard(env, ns.name);
  const dnsNames = [...served, ...(wildcard !== undefined ? [wildcard] : [])];
  return dnsNames.length > 0
    ? { kind: "certificate", issuer: tls.issuer!, issuerKind: tls.issuerKind, dnsNames }
    : undefined;
}

/** A cert-manager Certificate for hostnames, into `secretName`. */
export function certificate(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  tls: Extract<NamespaceTls, { kind: "certificate" }>,
  secretName: string = TLS_SECRET,
) {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name, namespace, labels },
    spec: {
      secretName,
      dnsNames: tls.dnsNames,
      issuerRef: { name: tls.issuer, kind: tls.issuerKind, group: "cert-manager.io" },
    },
  };
}
