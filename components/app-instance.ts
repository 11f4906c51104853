import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type AppInstanceSpec, instancePodSpec, instanceTlsSecret } from "../policy/apps";
import { certificate } from "../policy/tls";
import { TenantComponent, childOptions } from "./tenant-component";

export interface AppInstanceArgs {
  /** The instance, resolved from the catalog and the tenant's record (policy/apps.ts). */
  spec: AppInstanceSpec;
}

/**
 * One user's instance of a catalog app: its data volume (protected unless offboarding, kept when the
 * instance is disabled), a Deployment (scaled to zero while offboarding), a Service, and an Ingress for its
 * host with TLS (its own cert-manager Certificate, or the namespace's copied secret). `enabled: false` keeps
 * only the volume. The DNS record of its host lives in the dns layer with the tenant's other records.
 */
export class AppInstance extends TenantComponent {
  constructor(name: string, args: AppInstanceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:apps:AppInstance", name, args.spec.tenant, opts);
    const s = args.spec;
    const meta = (objectName: string) => ({ name: objectName, namespace: s.namespace, labels: s.labels });
    const selector = { "app.kubernetes.io/instance": s.labels["app.kubernetes.io/instance"]! };

    if (s.storage)
      new k8s.core.v1.PersistentVolumeClaim(
        `${name}-data`,
        {
          metadata: meta(`${s.name}-data`),
          spec: {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: s.storage.size } },
            ...(s.storage.storageClass ? { storageClassName: s.storage.storageClass } : {}),
          },
        },
        // the user's data: protected unless the tenant is on its way out
        childOptions(this, opts, { protect: !s.offboarding }),
      );
    if (!s.enabled) {
      this.registerTenantOutputs({ host: s.host });
      return;
    }

    new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: meta(s.name),
        spec: {
          replicas: s.offboarding ? 0 : 1,
          // one writer of a ReadWriteOnce volume at a time
          strategy: { type: "Recreate" },
          selector: { matchLabels: selector },
          template: { metadata: { labels: s.labels }, spec: instancePodSpec(s) },
        },
      },
      childOptions(this, opts),
    );
    new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: meta(s.name),
        spec: { selector, ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }] },
      },
      childOptions(this, opts),
    );
    if (!s.offboarding) {
      const secretName = instanceTlsSecret(s);
      if (s.tls?.kind === "certificate")
        new k8s.apiextensions.CustomResource(
          `${name}-certificate`,
          certificate(
            `${s.name}-tls`,
            s.namespace,
            s.labels,
            { ...s.tls, dnsNames: [s.host] },
            `${s.name}-tls`,
          ),
          childOptions(this, opts),
        );
      new k8s.networking.v1.Ingress(
        `${name}-ingress`,
        {
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
        childOptions(this, opts),
      );
    }
    this.registerTenantOutputs({ host: s.host });
  }
}
