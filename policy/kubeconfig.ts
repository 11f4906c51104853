import type { RegistryModel } from "../registry/model";
import { InvalidInputError, UsageError } from "../registry/problems";

/**
 * A kubeconfig for one tenant: one context per namespace it owns or is invited into, authenticating
 * through the OIDC exec plugin (kubelogin), so the file holds no secret.
 */
export function tenantKubeconfig(model: RegistryModel, tenantId: string): Record<string, unknown> {
  const env = model.environment;
  const tenant = model.tenants.find((t) => t.id === tenantId);
  if (!tenant) throw new UsageError(`no such tenant: ${tenantId}`);
  if (tenant.offboarding)
    throw new UsageError(`tenant ${tenantId} is offboarding: it has no access any more`);
  const cluster = env.clusters[0]!;
  if (!cluster.server)
    throw new InvalidInputError([
      {
        source: env.source,
        path: ["clusters", 0, "server"],
        message: "is required to generate kubeconfigs (the API server URL)",
      },
    ]);
  const invited = model.tenants
    .filter((t) => !t.offboarding)
    .flatMap((t) => t.members.filter((m) => m.tenant === tenantId).flatMap((m) => m.namespaces));
  const namespaces = [...tenant.namespaces.map((n) => n.name), ...invited];
  const user = `${tenantId}@${cluster.name}`;
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: cluster.name,
        cluster: {
          server: cluster.server,
          ...(cluster.certificateAuthorityData
            ? { "certificate-authority-data": cluster.certificateAuthorityData }
            : {}),
        },
      },
    ],
    users: [
      {
        name: user,
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
      },
    ],
    contexts: namespaces.map((ns) => ({
      name: `${cluster.name}-${ns}`,
      context: { cluster: cluster.name, user, namespace: ns },
    })),
    "current-context": `${cluster.name}-${namespaces[0]}`,
  };
}
