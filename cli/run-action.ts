/**
 * `preview`, `up` and `destroy` as the CLI runs them: progress on stderr (a task list on a terminal, timestamped
 * lines otherwise), then the summary table (or, with --json, the results) on stdout, on failure too; after a
 * successful `up` that ran the platform layer, the tenant events. Loaded on use: it brings in the layer programs.
 */
import {
  type Action,
  type RunOptions,
  type StackEngine,
  type StackResult,
  runLayers,
  runStacks,
} from "../deploy/run";
import type { RegistryModel } from "../registry/model";
import { UsageError, escapeControl } from "../components/core/problems";
import { defaultCluster } from "../components/clusters/placement";
import { kubeConfigs } from "../deploy/kube";
import { acquireLease, holderIdentity } from "../deploy/lease";
import type { PreflightResult } from "../deploy/preflight";
import { missingPrerequisites } from "../deploy/prerequisites";
import { afterUp, queueEvents } from "./events";
import { interactive, progress, summaryTable } from "./progress";

/**
 * The real world of a run: every prerequisite checked at once, the environment lease (up, destroy) on the default
 * cluster, the preflight's clients (preview, up), what the preflight found printed as soon as it is known.
 */
export function connect(model: RegistryModel, action: Action | "adopt", opts: RunOptions): RunOptions {
  const env = model.environment;
  const configs = kubeConfigs(env);
  const missing = missingPrerequisites(model, opts.layers, configs);
  if (missing.length > 0) throw new UsageError(`cannot ${action} yet; nothing was changed:`, missing);
  const holder = holderIdentity(`tenancy ${action}`);
  return {
    ...opts,
    lease: () =>
      acquireLease(configs(defaultCluster(env.clusters)), {
        env: env.name,
        holder,
        namespace: env.lease.namespace,
        durationSeconds: env.lease.durationSeconds,
      }),
    ...(action === "destroy"
      ? {}
      : {
          preflight: {
            kubernetes: configs,
            vault: { token: process.env.VAULT_TOKEN },
            cloudflare: { token: process.env.CLOUDFLARE_API_TOKEN },
            concurrency: 2 * Math.max(1, opts.parallel ?? 4),
          },
        }),
  };
}

/** What the preflight found, a line each, and a summary. */
export function preflightLines(found: PreflightResult): string[] {
  const count = (how: string) => found.findings.filter((f) => f.how === how).length;
  const looked = found.looked;
  return [
    ...found.findings.map(
      (f) => `preflight: ${f.stack}: ${f.how.padEnd(9)} ${f.resource}${f.detail ? `  (${f.detail})` : ""}`,
    ),
    `preflight: looked up ${looked.kubernetes} Kubernetes requests, ${looked.vault} Vault identities, ${looked.cloudflare} DNS records; found ${found.findings.length} existing: ${count("import")} import, ${count("in place")} in place, ${count("take over")} take over, ${count("refuse")} refused, ${count("unknown")} not looked up`,
  ];
}

export async function runAction(
  action: Action,
  model: RegistryModel,
  engine: StackEngine,
  opts: RunOptions,
  json: boolean,
): Promise<void> {
  const run = runStacks(action, model, opts.layers);
  const stacks = run.map((s) => s.name);
  // events tell what an up did to each tenant: the platform layer's outputs before it, against the registry
  const withEvents = action === "up" && run.some((s) => s.layer === "platform");
  // read by the run under its lease, with the guard
  let before: Record<string, unknown> | undefined;
  const reporter = progress({ stacks, last: action, tty: interactive() });
  let results: StackResult[] = [];
  let ok = false;
  let found: PreflightResult | undefined;
  // Ctrl-C or SIGTERM: no further stack starts, the running ones finish (their pulumi processes finish their
  // steps), the lease is released; a second signal quits at once (the lease then expires on its own)
  const stop = new AbortController();
  let first = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    // one Ctrl-C may arrive twice: from the terminal and forwarded by bin/tenancy.cjs to this, its child
    if (stop.signal.aborted && Date.now() - first < 1000) return;
    if (stop.signal.aborted) process.exit(signal === "SIGINT" ? 130 : 143);
    first = Date.now();
    process.stderr.write(
      `\n${signal}: stopping; the stacks running now finish first (${signal} again quits at once)\n`,
    );
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    await runLayers(action, model, engine, {
      ...opts,
      reporter,
      signal: stop.signal,
      onApplied: (applied) => (before = applied),
      notice: (line) => process.stderr.write(`${escapeControl(line)}\n`),
      onPreflight: (r) => {
        found = r;
        // what the servers said (names, comments, messages) never reaches the terminal raw
        if (!json) for (const line of preflightLines(r)) process.stderr.write(escapeControl(line) + "\n");
      },
    });
    ok = true;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    results = await reporter.close();
    if (!json && results.length > 0) console.log(summaryTable(results));
    // an up that failed after its platform stacks were applied: their tenants' events are not lost (the next up
    // sees them applied), they wait in the outbox for tenancy events --resend
    const platformApplied =
      results.some((r) => r.layer === "platform") &&
      results.filter((r) => r.layer === "platform").every((r) => r.phase === "up" && r.status === "done");
    if (!ok && withEvents && platformApplied)
      queueEvents(model, before, "the up failed after the platform layer was applied");
  }
  // a failed delivery is reported and kept in the outbox, never undoing the apply
  const events = ok && withEvents ? await afterUp(model, before) : undefined;
  if (json)
    process.stdout.write(
      JSON.stringify(
        {
          action,
          stacks: results,
          ...(found ? { preflight: found.findings } : {}),
          ...(events ? { events } : {}),
        },
        null,
        2,
      ) + "\n",
    );
}
