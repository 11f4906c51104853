/**
 * The apps concern's part of the apps layer (after platform): the shared namespace of every app some tenant
 * runs shared (the layer's shared part, whichever stacks hold the tenants), and per (tenant, catalog app) an
 * instance, waiting for its namespace: in the platform stack, or the shared namespace of this stack.
 */
import type { Contribution } from "../../layers/stack";
import type { ResourceSpec } from "../core/spec";
import { appInstance as appInstanceSpecs } from "./instance";
import { appInstance } from "./policy";
import { sharedAppNamespace } from "./shared-namespace";

export const appInstances: Contribution = ({ input, specs, providers, upstream, outputs }) => {
  const { model, tenants } = input;
  const env = model.environment;
  const kubernetes = providers.kubernetes();
  const platform = upstream("platform");
  const tlsCopyData = env.tls.copy ? providers.sharedTlsData(env.tls.copy) : undefined;

  const shared = new Map<string, ResourceSpec>();
  const sharedInstances =
    (input.part?.shared ?? true)
      ? model.tenants
          .flatMap((t) => t.apps.map((a) => appInstance(env, t, a)))
          .filter((s) => s.placement === "shared")
      : [];
  for (const spec of sharedInstances) {
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
  for (const spec of tenants.flatMap((t) => t.apps.map((a) => appInstance(env, t, a)))) {
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
  outputs.instances = instances;
};
