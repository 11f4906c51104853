/**
 * Tenant events on the command line: sent after a successful `up` (`afterUp`), and `tenancy events` to list
 * or `--resend` what the webhooks have not accepted (the outbox, `.tenancy/outbox-<env>.json`).
 */
import type { Command } from "commander";
import {
  type DeliveryReport,
  deliver,
  fanOut,
  keepInOutbox,
  outboxPath,
  readOutbox,
  writeOutbox,
} from "../deploy/events";
import { tenantEvents } from "../components/events/policy";
import { loadRegistry } from "../registry/load";
import type { EnvironmentModel, RegistryModel } from "../registry/model";
import { ExternalError } from "../components/core/problems";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";

/** Test hook: the first wait between tries, in ms (the environment sets tries and timeouts). */
const backoffMs = () => Number(process.env.TENANCY_EVENTS_BACKOFF_MS ?? 1000);

function options(env: Pick<EnvironmentModel, "events">) {
  return {
    attempts: env.events.attempts,
    timeoutMs: env.events.timeoutSeconds * 1000,
    backoffMs: backoffMs(),
  };
}

function say(report: DeliveryReport, outbox: string): string[] {
  const lines = report.failed.map(
    (p) =>
      `event ${p.event.type} of tenant ${p.event.tenant} to ${p.url} failed after ${p.attempts} tries: ${p.error}`,
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
  if (env.events.webhooks.length === 0) return undefined;
  const events = tenantEvents(platformBefore, model, at);
  const outbox = outboxPath(env.name);
  const report = await deliver(fanOut(events, env.events.webhooks), options(env));
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
  if (env.events.webhooks.length === 0) return;
  const events = tenantEvents(platformBefore, model, new Date());
  if (events.length === 0) return;
  const outbox = outboxPath(env.name);
  const pending = fanOut(events, env.events.webhooks).map((p) => ({ ...p, error: `not sent: ${why}` }));
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
        "the tenant events the webhooks have not accepted yet (kept after an up); --resend sends them again",
      )
      .option("--resend", "send them again; those still failing stay (exit 4)"),
  ).action(async (opts: CommonOptions & { resend?: boolean }) => {
    // the environment as validated: its webhooks and their settings
    const env = (await loadRegistry(loadOptions(opts))).environment;
    const outbox = outboxPath(opts.env);
    const pending = readOutbox(outbox);
    if (!opts.resend) {
      if (opts.json) process.stdout.write(JSON.stringify({ outbox, pending }, null, 2) + "\n");
      else if (pending.length === 0) console.log(`no events pending (${outbox})`);
      else
        for (const p of pending)
          console.log(`${p.event.type} ${p.event.tenant} -> ${p.url}: ${p.attempts} tries, last: ${p.error}`);
      return;
    }
    // only to webhooks the environment still lists (with their current secret variable)
    const configured = new Map(env.events.webhooks.map((w) => [w.url, w]));
    const dropped = pending.filter((p) => !configured.has(p.url));
    const items = pending
      .filter((p) => configured.has(p.url))
      .map(({ error: _e, ...p }) => ({ ...p, secretEnv: configured.get(p.url)!.secretEnv }));
    const report = await deliver(items, options(env));
    writeOutbox(outbox, report.failed);
    for (const p of dropped)
      process.stderr.write(`dropped: ${p.url} is no longer a webhook of environment ${opts.env}\n`);
    if (opts.json) process.stdout.write(JSON.stringify({ outbox, ...report }, null, 2) + "\n");
    else for (const line of say(report, outbox)) console.log(line);
    if (report.failed.length > 0)
      throw new ExternalError(`${report.failed.length} events still not accepted; they stay in ${outbox}`);
  });
}
