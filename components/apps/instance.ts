import { type AppInstanceSpec, instancePodSpec, instanceTlsSecret } from "./policy";
import { certificate } from "../tls/policy";
import { type Dependency, type ResourceSpec, type Specs } from "../core/spec";

export interface AppInstanceArgs {
  /** The instance, resolved from the catalog and the tenant's record (components/apps/policy.ts). */
  spec: AppInstanceSpec;
}

/**
 * One user's instance of a catalog app: its data volume (protected unless offboarding, kept when the
 * instance is disabled), a Deployment (scaled to zero while offboarding), a Service, and an Ingress for its
 * host with TLS (its own cert-manager Certificate, or the namespace's copied secret). `enabled: false` keeps
 * only the volume. The DNS record of its host lives in the dns layer with the tenant's other records.
 */
export function appInstance(
  specs: Specs,
  name: string,
  args: AppInstanceArgs,
  provider: ResourceSpec,
  dependsOn: Dependency[],
): ResourceSpec {
  const s = args.spec;
  const component = specs.component(
    "tenancy:apps:AppInstance",
    name,
    { providers: [provider], dependsOn },
    { tenant: s.tenant, outputs: { host: s.host } },
  );
  const within = { parent: component, provider, dependsOn };
  const meta = (objectName: string) => ({ name: objectName, namespace: s.namespace, labels: s.labels });
  const selector = { "app.kubernetes.io/instance": s.labels["app.kubernetes.io/instance"]! };
  if (s.storage)
    specs.kubernetes(
      `${name}-data`,
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: meta(`${s.name}-data`),
        spec: {
          accessModes: ["ReadWriteOnce"],
          resources: { requests: { storage: s.storage.size } },
          ...(s.storage.storageClass ? { storageClassName: s.storage.storageClass } : {}),
        },
      },
      within,
      // the user's data: protected unless the tenant is on its way out
      { protect: !s.offboarding },
    );
  if (!s.enabled) return component;

  specs.kubernetes(
    `${name}-deployment`,
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: meta(s.name),
      spec: {
        replicas: s.offboarding ? 0 : 1,
        // one writer of a ReadWriteOnce volume at a time
        strategy: { type: "Recreate" },
        selector: { matchLabels: selector },
        template: { metadata: { labels: s.labels }, spec: instancePodSpec(s) },
      },
    },
    within,
  );
  specs.kubernetes(
    `${name}-service`,
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(s.name),
      spec: { selector, ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }] },
    },
    within,
  );
  if (!s.offboarding) {
    const secretName = instanceTlsSecret(s);
    if (s.tls?.kind === "certificate") {
      const cert = certificate(
        `${s.name}-tls`,
        s.namespace,
        s.labels,
        { ...s.tls, dnsNames: [s.host] },
        `${s.name}-tls`,
      );
      specs.kubernetes(`${name}-certificate`, cert, within);
    }
    specs.kubernetes(
      `${name}-ingress`,
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: meta(s.name),
        spec: {
          ...(s.ingressClassName ? { ingressClassName: s.ingressClassName } : {}),
          rules: [
            {
              host: s.host,
              http: {
                paths: [
                  {
                    path: "/",
                    pathType: "Prefix",
                    backend: { service: { name: s.name, port: { name: "http" } } },
                  },
                ],
              },
            },
          ],
          ...(secretName ? { tls: [{ hosts: [s.host], secretName }] } : {}),
        },
      },
      within,
    );
  }
  return component;
}
