/**
 * A tenant's app instances as plain data: what the factory runs for each (tenant, catalog app), resolved from
 * the catalog entry and the tenant's settings. The pod it describes passes Pod Security `restricted`
 * whatever the namespace enforces: non-root, no privilege escalation, every capability dropped,
 * RuntimeDefault seccomp, only a persistentVolumeClaim volume.
 */
import type { AppModel, EnvironmentModel, TenantModel } from "../../registry/model";
import { requiredNodePool, requiredRuntimeClass } from "../admission/params";
import { tenantLabels } from "../core/labels";
import { appObjectName, names, objectName } from "../../policy/names";
import { isOffboarding } from "../members/rbac";
import { type NamespaceTls, TLS_SECRET } from "../tls/policy";

export interface AppInstanceSpec {
  tenant: string;
  app: string;
  /** Object name of the instance's Deployment, Service and Ingress: `<app>` in the tenant's namespace, `<app>-<tenant>` in a shared one. */
  name: string;
  namespace: string;
  placement: "tenant" | "shared";
  host: string;
  image: string;
  port: number;
  env: Record<string, string>;
  resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
  storage?: { size: string; mountPath: string; storageClass?: string };
  runAsUser: number;
  /** The tier's required RuntimeClass (a sandboxed runtime), when it requires one. */
  runtimeClassName?: string;
  /** The tier's node pool, when it names some (`admission.nodePoolLabel` -> the first pool). */
  nodeSelector?: Record<string, string>;
  /** false: only the data volume is kept. */
  enabled: boolean;
  /** Phase one: scaled to zero, no ingress, the volume unprotected. */
  offboarding: boolean;
  ingressClassName?: string;
  /** copy mode: the name of the namespace's copied TLS secret (`names.tlsSecret`; the shared one in a shared namespace). */
  namespaceTlsSecret?: string;
  /** How the ingress gets its certificate: its own (cert-manager), the namespace's copied secret, or none. */
  tls:
    | { kind: "certificate"; issuer: string; issuerKind: "ClusterIssuer" | "Issuer" }
    | { kind: "copy" }
    | undefined;
  labels: Record<string, string>;
}

export function appInstance(env: EnvironmentModel, tenant: TenantModel, app: AppModel): AppInstanceSpec {
  const entry = env.catalog[app.name]!;
  const ns = tenant.namespaces.find((n) => n.name === app.namespace);
  const offboarding = tenant.offboarding || (ns !== undefined && isOffboarding(tenant, ns));
  const settingsEnv = Object.fromEntries(
    Object.entries(entry.settingsEnv).flatMap(([setting, name]) =>
      app.settings[setting] === undefined ? [] : [[name, String(app.settings[setting])]],
    ),
  );
  const tls = env.tls;
  // a shared namespace is no tenant's: the tier's runtime applies where the tenant's pods run
  const runtimeClassName = app.placement === "tenant" ? requiredRuntimeClass(tenant.admission) : undefined;
  const pool = app.placement === "tenant" ? requiredNodePool(tenant.admission) : undefined;
  return {
    tenant: tenant.id,
    app: app.name,
    name: appObjectName(app, tenant.id),
    namespace: app.namespace,
    placement: app.placement,
    host: app.host,
    image: entry.image,
    port: entry.port,
    env: { ...entry.env, ...settingsEnv },
    resources: entry.resources,
    ...(entry.storage
      ? {
          storage: {
            size: String(app.settings.storage ?? entry.storage.size),
            mountPath: entry.storage.mountPath,
            ...(entry.storage.storageClass ? { storageClass: entry.storage.storageClass } : {}),
          },
        }
      : {}),
    runAsUser: entry.runAsUser,
    ...(runtimeClassName ? { runtimeClassName } : {}),
    ...(pool ? { nodeSelector: { [env.admission.nodePoolLabel]: pool } } : {}),
    ...(app.placement === "tenant"
      ? { namespaceTlsSecret: names(env).tlsSecret(tenant.id, app.namespace) }
      : {}),
    enabled: app.enabled,
    offboarding,
    ...(env.network.ingressController.className
      ? { ingressClassName: env.network.ingressController.className }
      : {}),
    tls:
      tls.mode === "cert-manager"
        ? { kind: "certificate", issuer: tls.issuer!, issuerKind: tls.issuerKind }
        : tls.mode === "copy"
          ? { kind: "copy" }
          : undefined,
    labels: {
      ...tenantLabels(tenant.id),
      "app.kubernetes.io/name": app.name,
      "app.kubernetes.io/instance": objectName(app.name, tenant.id),
    },
  };
}

/** The TLS secret an instance's Ingress uses. */
export function instanceTlsSecret(spec: AppInstanceSpec): string | undefined {
  if (!spec.tls) return undefined;
  return spec.tls.kind === "certificate" ? `${spec.name}-tls` : (spec.namespaceTlsSecret ?? TLS_SECRET);
}

/** The pod of an instance, as Kubernetes' apps/v1 writes a pod template's spec. */
export function instancePodSpec(spec: AppInstanceSpec) {
  return {
    automountServiceAccountToken: false,
    ...(spec.runtimeClassName ? { runtimeClassName: spec.runtimeClassName } : {}),
    ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: spec.runAsUser,
      runAsGroup: spec.runAsUser,
      fsGroup: spec.runAsUser,
      seccompProfile: { type: "RuntimeDefault" },
    },
    containers: [
      {
        name: spec.app,
        image: spec.image,
        // never a copy another tenant's pull left on the node (and whatever pull policies the tier allows)
        imagePullPolicy: "Always",
        ports: [{ name: "http", containerPort: spec.port, protocol: "TCP" }],
        env: Object.entries(spec.env)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([name, value]) => ({ name, value })),
        resources: spec.resources,
        securityContext: {
          allowPrivilegeEscalation: false,
          runAsNonRoot: true,
          capabilities: { drop: ["ALL"] },
          seccompProfile: { type: "RuntimeDefault" },
        },
        ...(spec.storage ? { volumeMounts: [{ name: "data", mountPath: spec.storage.mountPath }] } : {}),
      },
    ],
    ...(spec.storage
      ? { volumes: [{ name: "data", persistentVolumeClaim: { claimName: `${spec.name}-data` } }] }
      : {}),
  };
}

export type { NamespaceTls };
