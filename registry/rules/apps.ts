/** Apps: catalog entries, each once, with settings the entry knows and of its type. */
import type { AppModel } from "../model";
import { show } from "../problems";
import type { TenantContext } from "./context";

export function checkApps({ env, data, at }: TenantContext): AppModel[] {
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
    if (seen.has(app.name)) at(["apps", i, "name"], `${show(app.name)} is listed twice`);
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
    apps.push({ name: app.name, settings: { ...entry.settings, ...app.settings }, enabled: app.enabled });
  });
  return apps;
}
