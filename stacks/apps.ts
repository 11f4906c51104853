/**
 * Layer "apps" (after platform): the per-user app factory. For each (tenant, catalog app) an AppInstance in
 * the tenant's namespace, or in the app's shared namespace (made here, once, for apps placed that way).
 * A tenant-placed instance waits for its namespace in the platform stack, as the vault layer's deployers do.
 */
import { AppInstance } from "../components/app-instance";
import { SharedAppNamespace } from "../components/shared-app-namespace";
import { WHOLE } from "../layers/shards";
import { appInstance } from "../policy/apps";
import { type LayerInput, Upstream } from "./layer";
import { Providers } from "./providers";

type PlatformTenants = Record<string, { namespaces: string[] }>;

export async function appsProgram(input: LayerInput): Promise<Record<string, unknown>> {
  const { model, tenants } = input;
  const env = model.environment;
  const providers = Providers.of(input);
  const kubernetes = providers.kubernetes();
  const platform = Upstream.of(input, "platform");
  const part = input.part ?? WHOLE;
  const tlsCopyData = env.tls.copy ? providers.sharedTlsData(env.tls.copy) : undefined;

  const specs = tenants.flatMap((t) => t.apps.map((a) => appInstance(env, t, a)));
  const shared = new Map<string, SharedAppNamespace>();
  // shared: the namespace of every app some tenant runs shared, whichever stacks hold the tenants
  const sharedSpecs = part.shared
    ? model.tenants
        .flatMap((t) => t.apps.map((a) => appInstance(env, t, a)))
        .filter((s) => s.placement === "shared")
    : [];
  for (const spec of sharedSpecs) {
    if (shared.has(spec.namespace)) continue;
    shared.set(
      spec.namespace,
      new SharedAppNamespace(
        spec.namespace,
        {
          namespace: spec.namespace,
          app: spec.app,
          network: env.network,
          podSecurityVersion: env.podSecurity.version,
          ...(tlsCopyData ? { tlsCopyData } : {}),
        },
        { providers: [kubernetes] },
      ),
    );
  }

  const instances: Record<string, { app: string; namespace: string; host: string; enabled: boolean }[]> = {};
  for (const spec of specs) {
    // a shard's shared namespaces are in the layer's shared stack, applied before it
    const ready =
      spec.placement === "shared"
        ? [shared.get(spec.namespace)].filter((n) => n !== undefined)
        : platform.gate<PlatformTenants>(
            "tenants",
            `namespace ${spec.namespace} of tenant ${spec.tenant}`,
            (ts) => ts?.[spec.tenant]?.namespaces.includes(spec.namespace) === true,
          );
    // "/" never occurs in a tenant id or an app name: one instance per (tenant, app)
    new AppInstance(`${spec.tenant}/${spec.app}`, { spec }, { providers: [kubernetes], dependsOn: ready });
    (instances[spec.tenant] ??= []).push({
      app: spec.app,
      namespace: spec.namespace,
      host: spec.host,
      enabled: spec.enabled,
    });
  }
  return { instances, awaitingUpstream: platform.pending() };
}
