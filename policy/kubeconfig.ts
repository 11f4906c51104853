import type { RegistryModel } from "../registry/model";
import { defaultCluster } from "../components/clusters/placement";
import { InvalidInputError, UsageError } from "../components/core/problems";

/**
 * A kubeconfig for one tenant: one context per (cluster, namespace) it owns or is invited into, on each cluster
 * the namespace exists on, authenticating through the OIDC exec plugin (kubelogin), so the file holds no secret.
 */
export function tenantKubeconfig(model: RegistryModel, tenantId: string): Record<string, unknown> {
  const env = model.environment;
  const tenant = model.tenants.find((t) => t.id === tenantId);
  if (!tenant) throw new UsageError(`no such tenant: ${tenantId}`);
  if (tenant.offboarding)
    throw new UsageError(`tenant ${tenantId} is offboarding: it has no access any more`);
  const byName = new Map(model.tenants.flatMap((t) => t.namespaces.map((n) => [n.name, n] as const)));
  const invited = model.tenants
    .filter((t) => !t.offboarding)
    .flatMap((t) => t.members.filter((m) => m.tenant === tenantId).flatMap((m) => m.namespaces));
  const namespaces = [...tenant.namespaces.map((n) => n.name), ...invited];
  // (cluster, namespace) in the environment's cluster order, then the tenant's
  const pairs = env.clusters.flatMap((c) =>
    namespaces.filter((ns) => byName.get(ns)?.clusters.includes(c.name)).map((ns) => ({ cluster: c, ns })),
  );
  const used = env.clusters.filter((c) => pairs.some((p) => p.cluster === c));
  const missing = used.filter((c) => !c.server);
  if (missing.length > 0)
    throw new InvalidInputError(
      missing.map((c) => ({
        source: env.source,
        path: ["clusters", env.clusters.indexOf(c), "server"],
        message: "is required to generate kubeconfigs (the API server URL)",
      })),
    );
  const user = (cluster: string) => `${tenantId}@${cluster}`;
  // the default cluster's contexts keep the name single-cluster kubeconfigs always had, <cluster>-<namespace>;
  // another cluster's are <cluster>/<namespace>: "/" occurs in no name, so no two pairs share a context name
  const home = defaultCluster(env.clusters);
  const context = (cluster: string, ns: string) =>
    cluster === home ? `${cluster}-${ns}` : `${cluster}/${ns}`;
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: used.map((c) => ({
      name: c.name,
      cluster: {
        server: c.server!,
        ...(c.certificateAuthorityData ? { "certificate-authority-data": c.certificateAuthorityData } : {}),
      },
    })),
    users: used.map((c) => ({
      name: user(c.name),
      user: {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1beta1",
          command: "kubectl",
          args: [
            "oidc-login",
            "get-token",
            `--oidc-issuer-url=${env.oidc.issuerUrl}`,
            `--oidc-client-id=${env.oidc.clientId}`,
            "--oidc-extra-scope=email",
            // group subjects need the groups claim in the ID token
            ...(env.rbac.subject === "group" ? ["--oidc-extra-scope=groups"] : []),
          ],
          interactiveMode: "IfAvailable",
        },
      },
    })),
    contexts: pairs.map(({ cluster, ns }) => ({
      name: context(cluster.name, ns),
      context: { cluster: cluster.name, user: user(cluster.name), namespace: ns },
    })),
    ...(pairs.length > 0 ? { "current-context": context(pairs[0]!.cluster.name, pairs[0]!.ns) } : {}),
  };
}
