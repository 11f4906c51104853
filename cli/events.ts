/**
 * Tenant events on the command line: sent after a successful `up` (`afterUp`) to the environment's webhooks and
 * to each tenant's own hooks (docs/hooks.md), and `tenancy events` to list or `--resend` what they have not
 * accepted (the outbox, `.tenancy/outbox-<env>.json`).
 */
import type { Command } from "commander";
import {
  type DeliveryReport,
  type Item,
  type Pending,
  deliver,
  fanOut,
  hookRef,
  keepInOutbox,
  outboxPath,
  readOutbox,
  tenantFanOut,
  vaultHookSecrets,
  writeOutbox,
} from "../deploy/events";
import { type TenantEvent, tenantEvents } from "../components/events/policy";
import { loadRegistry } from "../registry/load";
import type { RegistryModel } from "../registry/model";
import { ExternalError } from "../components/core/problems";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";

/** Test hook: the first wait between tries, in ms (the environment sets tries and timeouts). */
const backoffMs = () => Number(process.env.TENANCY_EVENTS_BACKOFF_MS ?? 1000);

/** How events are sent: the environment's tries and timeouts (for webhooks and tenant hooks alike), Vault for tenant secrets. */
function options(model: RegistryModel) {
  const env = model.environment;
  return {
    attempts: env.events.attempts,
    timeoutMs: env.events.timeoutSeconds * 1000,
    backoffMs: backoffMs(),
    tenantSecret: vaultHookSecrets(env, process.env.VAULT_TOKEN),
    tenantHosts: { allowHosts: env.events.tenantHooks.allowHosts, reserved: env.network.reserved },
  };
}

/** Every event to the platform's webhooks and to its own tenant's hooks. */
function targets(model: RegistryModel, events: TenantEvent[]): Item[] {
  return [...fanOut(events, model.environment.events.webhooks), ...tenantFanOut(events, model)];
}

/** Whether anyone listens: the environment's webhooks or a tenant's hooks. */
const listened = (model: RegistryModel) =>
  model.environment.events.webhooks.length > 0 || model.tenants.some((t) => t.hooks !== undefined);

/** Where an entry went: the URL, and whose hook when it is a tenant's. */
const where = (p: Pending) => (p.tenantHook ? `${p.url} (tenant ${p.tenantHook.tenant}'s hook)` : p.url);

function say(report: DeliveryReport, outbox: string): string[] {
  const lines = report.failed.map(
    (p) =>
      `event ${p.event.type} of tenant ${p.event.tenant} to ${where(p)} failed after ${p.attempts} tries: ${p.error}`,
  );
  const sent = report.delivered.length;
  lines.push(
    `events: ${sent} delivered` +
      (report.failed.length > 0
        ? `, ${report.failed.length} failed (kept in ${outbox}; the apply stands: send them again with tenancy events --resend)`
        : ""),
  );
  return lines;
}

/**
 * After a successful `up` that applied the platform layer: the events of what it did to each tenant, sent to
 * every webhook; failures kept in the outbox and reported, never undoing the apply. Returns the report.
 */
export async function afterUp(
  model: RegistryModel,
  platformBefore: Record<string, unknown> | undefined,
  at: Date = new Date(),
): Promise<(DeliveryReport & { outbox: string }) | undefined> {
  const env = model.environment;
  if (!listened(model)) return undefined;
  const events = tenantEvents(platformBefore, model, at);
  const outbox = outboxPath(env.name);
  const report = await deliver(targets(model, events), options(model));
  if (report.failed.length > 0) keepInOutbox(outbox, report.failed);
  for (const line of say(report, outbox)) process.stderr.write(`${line}\n`);
  return { ...report, outbox };
}

/**
 * The events of an up that did not finish, kept unsent in the outbox (their tenants' platform stacks were
 * applied, so the next up will not see them as changes): `tenancy events --resend` sends them.
 */
export function queueEvents(
  model: RegistryModel,
  platformBefore: Record<string, unknown> | undefined,
  why: string,
): void {
  const env = model.environment;
  if (!listened(model)) return;
  const events = tenantEvents(platformBefore, model, new Date());
  if (events.length === 0) return;
  const outbox = outboxPath(env.name);
  const pending = targets(model, events).map((p) => ({ ...p, error: `not sent: ${why}` }));
  keepInOutbox(outbox, pending);
  process.stderr.write(
    `events: ${events.length} kept in ${outbox}, not sent (${why}); send them with tenancy events --resend\n`,
  );
}

export function eventsCommand(program: Command): void {
  withCommonOptions(
    program
      .command("events")
      .description(
        "the tenant events the webhooks and tenant hooks have not accepted yet (kept after an up); --resend sends them again",
      )
      .option("--resend", "send them again; those still failing stay (exit 4)"),
  ).action(async (opts: CommonOptions & { resend?: boolean }) => {
    // the registry as validated: the environment's webhooks and settings, the tenants' hooks
    const model = await loadRegistry(loadOptions(opts));
    const env = model.environment;
    const outbox = outboxPath(opts.env);
    const pending = readOutbox(outbox);
    if (!opts.resend) {
      if (opts.json) process.stdout.write(JSON.stringify({ outbox, pending }, null, 2) + "\n");
      else if (pending.length === 0) console.log(`no events pending (${outbox})`);
      else
        for (const p of pending)
          console.log(
            `${p.event.type} ${p.event.tenant} -> ${where(p)}: ${p.attempts} tries, last: ${p.error}`,
          );
      return;
    }
    // only to webhooks the environment still lists (with their current secret variable), and to hooks their
    // tenant still names for that event (with the secret's Vault path as the environment now has it)
    const configured = new Map(env.events.webhooks.map((w) => [w.url, w]));
    const tenants = new Map(model.tenants.map((t) => [t.id, t]));
    const items: Item[] = [];
    const dropped: string[] = [];
    for (const { error: _e, ...p } of pending) {
      if (p.tenantHook === undefined) {
        const hook = configured.get(p.url);
        if (hook) items.push({ ...p, secretEnv: hook.secretEnv });
        else dropped.push(`${p.url} is no longer a webhook of environment ${opts.env}`);
        continue;
      }
      const tenant = tenants.get(p.tenantHook.tenant);
      const ref = tenant && hookRef(env, tenant);
      if (ref && tenant?.hooks?.some((h) => h.url === p.url && h.events.includes(p.event.type)))
        items.push({ url: p.url, tenantHook: ref, event: p.event, attempts: p.attempts });
      else
        dropped.push(
          `${p.url} is no longer a hook of tenant ${p.tenantHook.tenant} for ${p.event.type} in environment ${opts.env}`,
        );
    }
    const report = await deliver(items, options(model));
    writeOutbox(outbox, report.failed);
    for (const d of dropped) process.stderr.write(`dropped: ${d}\n`);
    if (opts.json) process.stdout.write(JSON.stringify({ outbox, ...report }, null, 2) + "\n");
    else for (const line of say(report, outbox)) console.log(line);
    if (report.failed.length > 0)
      throw new ExternalError(`${report.failed.length} events still not accepted; they stay in ${outbox}`);
  });
}
