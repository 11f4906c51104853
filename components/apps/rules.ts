/**
 * Apps: catalog entries, each once, with settings the entry knows and of its type; the instance's host (the
 * catalog's pattern for this tenant) claimed like a domain, so it can collide with no other tenant's hostname;
 * a tenant-placed instance in one of the tenant's namespaces, within that namespace's limits, with an image
 * from the tier's registries (the workloads admission policy would refuse its pod otherwise).
 */
import { imageAllowed, requiredRuntimeClass } from "../admission/params";
import type { AppModel, NamespaceModel, TenantAdmission } from "../../registry/model";
import { type PathSegment, show } from "../core/problems";
import { parseQuantity } from "../core/quantity";
import { type TenantContext, appHost, zoneOf } from "../../registry/rules/context";
import { claimHostname } from "../dns/rules";
import { offDefaultCluster } from "../clusters/rules";

export function checkApps(
  ctx: TenantContext,
  namespaces: readonly NamespaceModel[],
  admission: TenantAdmission,
): AppModel[] {
  const { env, doc, data, at } = ctx;
  const apps: AppModel[] = [];
  const seen = new Set<string>();
  data.apps.forEach((app, i) => {
    // own keys only: "constructor" or "toString" are not apps
    const entry = Object.hasOwn(env.catalog, app.name) ? env.catalog[app.name] : undefined;
    if (!entry) {
      at(
        ["apps", i, "name"],
        `${show(app.name)} is not in the environment's app catalog (catalog: ${Object.keys(env.catalog).join(", ") || "empty"})`,
      );
      return;
    }
    if (seen.has(app.name)) {
      at(["apps", i, "name"], `${show(app.name)} is listed twice`);
      return;
    }
    seen.add(app.name);
    for (const [key, value] of Object.entries(app.settings)) {
      if (!Object.hasOwn(entry.settings, key)) {
        at(
          ["apps", i, "settings", key],
          `unknown setting for app ${show(app.name)} (its settings: ${Object.keys(entry.settings).join(", ") || "none"})`,
        );
      } else if (typeof value !== typeof entry.settings[key]) {
        at(["apps", i, "settings", key], `expected a ${typeof entry.settings[key]}, got ${show(value)}`);
      }
    }
    const settings = { ...entry.settings, ...app.settings };
    if (
      entry.storage &&
      settings.storage !== undefined &&
      parseQuantity(String(settings.storage)) === undefined
    )
      at(
        ["apps", i, "settings", "storage"],
        `${show(settings.storage)} is not a Kubernetes quantity such as 10Gi`,
      );

    // where it runs
    let namespace: string;
    if (entry.placement === "shared") {
      if (app.namespace !== undefined)
        at(
          ["apps", i, "namespace"],
          `app ${show(app.name)} runs in its own shared namespace; remove namespace`,
        );
      namespace = entry.namespace ?? app.name;
    } else {
      if (namespaces.length === 0 && app.namespace === undefined) {
        at(
          ["apps", i, "name"],
          `app ${show(app.name)} runs in one of the tenant's namespaces, and tenant ${show(doc.id)} has none (namespaces: [])`,
        );
        return;
      }
      namespace = app.namespace ?? namespaces[0]!.name;
      const ns = namespaces.find((n) => n.name === namespace);
      const off = ns && offDefaultCluster(env, ns);
      if (!ns)
        at(["apps", i, "namespace"], `${show(namespace)} is not a namespace of tenant ${show(doc.id)}`);
      else if (off)
        at(
          (app.namespace !== undefined ? ["apps", i, "namespace"] : ["apps", i]) as PathSegment[],
          `app instances run on ${off}`,
        );
      // the image must be one the tier's pods may run, or the workloads policy refuses the pod
      if (env.admission.policies.workloads && !imageAllowed(entry.image, admission.registries))
        at(
          ["apps", i, "name"],
          `app ${show(app.name)} runs ${show(entry.image)}, from a registry the tier ${show(ctx.tierName)} does not allow (registries: ${admission.registries.join(", ")})`,
        );
      if (
        env.admission.policies.workloads &&
        admission.requireRuntimeClass &&
        !requiredRuntimeClass(admission)
      )
        at(
          ["apps", i, "name"],
          `the tier ${show(ctx.tierName)} requires a RuntimeClass but names none for app ${show(app.name)} to run with (runtimeClasses: ${admission.runtimeClasses.join(", ")})`,
        );
      // the container's limits must fit the namespace's LimitRange, or the pod is refused
      for (const res of ["cpu", "memory"] as const) {
        const max = ns?.limits.max?.[res];
        const limit = entry.resources.limits[res];
        if (max !== undefined && parseQuantity(limit)! > parseQuantity(max)!)
          at(
            ["apps", i, "name"],
            `app ${show(app.name)} needs limits.${res} ${show(limit)}, above the ${show(max)} a container may have in namespace ${show(namespace)}`,
          );
      }
    }

    const host = appHost(entry.host, app.name, doc.id);
    const zone = zoneOf(env, host);
    if (!zone)
      at(
        ["apps", i, "name"],
        `the host of app ${show(app.name)}, ${show(host)}, is not in a configured DNS zone (catalog.${app.name}.host in ${env.source})`,
      );
    if (!claimHostname(ctx, host, ["apps", i, "name"], { kind: "app", app: app.name }) || !zone) return;
    apps.push({
      name: app.name,
      settings,
      enabled: app.enabled,
      namespace,
      placement: entry.placement,
      host,
      zone: zone[0],
      zoneId: zone[1],
    });
  });
  return apps;
}
