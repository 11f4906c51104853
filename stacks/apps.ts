/**
 * Layer "apps" (after platform): the per-user app factory. For each (tenant, catalog app) an AppInstance in
 * the tenant's namespace, or in the app's shared namespace (made here, once, for apps placed that way).
 * A tenant-placed instance waits for its namespace in the platform stack, as the vault layer's deployers do.
 */
import { appInstance as appInstanceSpecs } from "../components/apps/instance";
import { PENDING, type ResourceSpec, Specs, type StackSpecs } from "../components/core/spec";
import { sharedAppNamespace } from "../components/apps/shared-namespace";
import { WHOLE } from "../layers/shards";
import { appInstance } from "../components/apps/policy";
import { type LayerInput, Upstream } from "./layer";
import { Providers } from "./providers";

export function appsProgram(input: LayerInput): StackSpecs {
  const { model, tenants } = input;
  const env = model.environment;
  const specs = new Specs();
  const providers = Providers.of(specs, input);
  const kubernetes = providers.kubernetes();
  const platform = Upstream.of(input, "platform");
  const part = input.part ?? WHOLE;
  const tlsCopyData = env.tls.copy ? providers.sharedTlsData(env.tls.copy) : undefined;

  const instanceSpecs = tenants.flatMap((t) => t.apps.map((a) => appInstance(env, t, a)));
  const shared = new Map<string, ResourceSpec>();
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
      sharedAppNamespace(
        specs,
        spec.namespace,
        {
          namespace: spec.namespace,
          app: spec.app,
          network: env.network,
          podSecurityVersion: env.podSecurity.version,
          ...(tlsCopyData ? { tlsCopyData } : {}),
        },
        kubernetes,
      ),
    );
  }

  const instances: Record<string, { app: string; namespace: string; host: string; enabled: boolean }[]> = {};
  for (const spec of instanceSpecs) {
    // a shard's shared namespaces are in the layer's shared stack, applied before it
    const ready =
      spec.placement === "shared"
        ? [shared.get(spec.namespace)?.key].filter((n) => n !== undefined)
        : [
            platform.gate("tenants", `namespace ${spec.namespace} of tenant ${spec.tenant}`, [
              { path: [spec.tenant, "namespaces"], includes: spec.namespace },
            ]),
          ];
    // "/" never occurs in a tenant id or an app name: one instance per (tenant, app)
    appInstanceSpecs(specs, `${spec.tenant}/${spec.app}`, { spec }, kubernetes, ready);
    // own keys only: a tenant may be called `constructor`, which every object inherits
    if (!Object.hasOwn(instances, spec.tenant)) instances[spec.tenant] = [];
    instances[spec.tenant]!.push({
      app: spec.app,
      namespace: spec.namespace,
      host: spec.host,
      enabled: spec.enabled,
    });
  }
  return {
    resources: specs.list,
    outputs: { instances, awaitingUpstream: PENDING },
    reads: [platform.stack],
  };
}
