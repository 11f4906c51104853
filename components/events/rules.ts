/**
 * A tenant's own hooks (docs/hooks.md): only where the environment lets tenants name them
 * (`events.tenantHooks.enabled`), https only (unless `allowHttp`), and never to a host the runner should not
 * reach on a tenant's behalf (components/events/hosts.ts) unless the environment lists it (`allowHosts`). Where
 * their signing secret lives must exist: with per-namespace Vault paths, under the tenant's first namespace.
 */
import type { HookModel } from "../../registry/model";
import type { TenantContext } from "../../registry/rules/context";
import { show } from "../core/problems";
import { hookSecretPath } from "../vault/policy";
import { allowedHost, refusedHostname } from "./hosts";
import { EVENT_TYPES } from "./schema";

/** Checks a tenant's hooks against the environment; their models (undefined when it names none). */
export function checkHooks(ctx: TenantContext, namespaces: readonly string[]): HookModel[] | undefined {
  const { env, doc, data, at } = ctx;
  const hooks = data.hooks;
  if (hooks === undefined || hooks.length === 0) return undefined;
  const settings = env.events.tenantHooks;
  if (!settings.enabled) {
    at(
      ["hooks"],
      `tenant hooks are not enabled in environment ${show(env.name)} (events.tenantHooks.enabled in ${env.source}); leave hooks out`,
    );
    return undefined;
  }
  if (hookSecretPath(env.vault, doc.id, namespaces) === undefined)
    at(
      ["hooks"],
      `the hooks' signing secret lives under the tenant's first namespace (vault.tenantPaths per-namespace in ${env.source}), and this tenant has none`,
    );
  hooks.forEach((hook, i) => {
    const url = new URL(hook.url);
    if (url.protocol !== "https:" && !settings.allowHttp)
      at(
        ["hooks", i, "url"],
        `${show(hook.url)} is not an https URL (events.tenantHooks.allowHttp in ${env.source} allows plain http)`,
      );
    if (allowedHost(url.hostname, settings.allowHosts)) return;
    const why = refusedHostname(url.hostname, env.network.reserved);
    if (why !== undefined)
      at(
        ["hooks", i, "url"],
        `${show(hook.url)} ${why}: a tenant's hook may not point into the platform's networks (events.tenantHooks.allowHosts in ${env.source} lists the exceptions)`,
      );
  });
  return hooks.map((h) => ({ url: h.url, events: h.events ?? [...EVENT_TYPES] }));
}
