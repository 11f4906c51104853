/**
 * The StackEngine backed by Pulumi's Automation API (needs the Pulumi CLI and the providers' credentials).
 * The workspace is the repository itself (where Pulumi.yaml is), so stack config set in the repository
 * (`Pulumi.<stack>.yaml`) applies, and no temporary directory is left behind.
 * Each stack runs Pulumi.yaml's program (stacks/direct.ts) in the CLI's own language host, not inline in this
 * process: an inline program shares this process's error handlers with every other stack running at the time
 * (the SDK makes a failed registration an unhandled rejection; automation/server.js installs process-wide
 * handlers), so one stack's failure failed them all. The job reaches the program in a run file
 * (deploy/run-file.ts): the registry this run validated, what it adopts, and the lease holder.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { type EngineEvent, LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { ExternalError } from "../components/core/problems";
import type {
  Changes,
  PendingOperation,
  PreviewReport,
  RunStepOptions,
  StackEngine,
  StackJob,
  StackState,
} from "./run";
import { RUN_FILE_ENV, writeRunFile } from "./run-file";
import { type CheckpointResource, keptByDestroy } from "./destroy";

const execFileAsync = promisify(execFile);

/** The engine's counts per operation, numbers only. */
function counts(summary: Record<string, number | undefined> | undefined): Changes {
  return Object.fromEntries(
    Object.entries(summary ?? {}).filter((e): e is [string, number] => typeof e[1] === "number"),
  );
}

/** The repository root: Pulumi.yaml's directory. */
const WORK_DIR = join(__dirname, "..");

/**
 * The Automation API's errors start with "code: 255 / stdout: ..."; the useful part is the CLI's last error line.
 * A stack locked by an update that never finished says what to run: the environment lease is held by this run,
 * so no other tenancy run holds that lock (docs/operations.md, "Recovery").
 */
export function cliError(e: unknown, stackName?: string): string {
  const err = e as { message?: string; commandResult?: { stderr?: string } };
  const text = err.commandResult?.stderr || err.message || String(e);
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const last = lines.filter((l) => /^error:/i.test(l)).pop() ?? lines.pop() ?? "unknown error";
  // the self-managed backends' lock (pkg/backend/diy/lock.go) and Pulumi Cloud's update in progress (409)
  if (stackName && /currently locked|another update is currently in progress|\[409\] Conflict/i.test(text))
    return `${last}. An earlier update of ${stackName} did not finish. If no pulumi process still runs it: \`pulumi cancel --stack ${stackName} --yes\` (Pulumi Cloud), or remove the lock file the message names (a self-managed backend); then run tenancy up again`;
  return last;
}

function openFailure(stackName: string, e: unknown): ExternalError {
  const message = (e as Error).message ?? String(e);
  if (/ENOENT/.test(message))
    return new ExternalError(
      "the Pulumi CLI was not found on PATH: install it (https://www.pulumi.com/docs/install/) and log in to a backend",
    );
  return new ExternalError(
    `cannot open stack ${stackName} through the Pulumi CLI: ${message.split("\n")[0]}`,
  );
}

async function open(stackName: string, envVars: Record<string, string> = {}): Promise<Stack> {
  try {
    return await LocalWorkspace.createOrSelectStack({ stackName, workDir: WORK_DIR }, { envVars });
  } catch (e) {
    throw openFailure(stackName, e);
  }
}

/** Runs `step` on the stack opened for `job`, its run file present for the step's length. */
async function withJob<T>(stackName: string, job: StackJob, step: (stack: Stack) => Promise<T>): Promise<T> {
  const file = writeRunFile({
    model: job.input.model,
    ...(job.input.adoption ? { adoption: job.input.adoption } : {}),
    ...(job.holder ? { holder: job.holder } : {}),
  });
  try {
    return await step(await open(stackName, { [RUN_FILE_ENV]: file.path }));
  } finally {
    file.remove();
  }
}

/**
 * What a preview's engine events say: protected deletes and error diagnostics it would refuse, and each step
 * that changes something (a resource's `resourcePreEvent`, op other than `same`; a refresh's own `refresh` steps
 * are not changes, the update that follows them is).
 */
export function previewFindings(
  events: EngineEvent[],
): Pick<PreviewReport, "protectedDeletes" | "errors" | "steps"> {
  const protectedDeletes = new Set<string>();
  const errors: string[] = [];
  const steps: { urn: string; op: string }[] = [];
  for (const e of events) {
    const m = e.resourcePreEvent?.metadata;
    if (m && m.op !== "same" && m.op !== "refresh" && m.op !== "read") steps.push({ urn: m.urn, op: m.op });
    if (m && m.op === "delete" && m.old?.protect === true) protectedDeletes.add(m.urn);
    const d = e.diagnosticEvent;
    // the engine reports each protected delete as an error too: those are listed once, above
    if (
      d &&
      d.severity === "error" &&
      !(d.urn && protectedDeletes.has(d.urn)) &&
      !/cannot be deleted/.test(d.message)
    )
      errors.push(d.message.trim());
  }
  return { protectedDeletes: [...protectedDeletes], errors, steps };
}

export const automationEngine: StackEngine = {
  async state(stackName): Promise<StackState | undefined> {
    let stack: Stack;
    try {
      stack = await LocalWorkspace.selectStack({ stackName, workDir: WORK_DIR });
    } catch (e) {
      // selecting a stack that does not exist is not a failure here: it was never created
      if (/no stack named|not found|does not exist/i.test((e as Error).message ?? "")) return undefined;
      throw openFailure(stackName, e);
    }
    try {
      const [outputs, deployment] = await Promise.all([stack.outputs(), stack.exportStack()]);
      // the checkpoint's deployment (pkg/apitype: DeploymentV3 resources, pending_operations)
      const d = deployment.deployment as
        | {
            resources?: { urn?: string; parent?: string }[];
            pending_operations?: { resource?: { urn?: string }; type?: string }[];
          }
        | undefined;
      const resources = d?.resources ?? [];
      const pending: PendingOperation[] = (d?.pending_operations ?? []).map((p) => ({
        urn: p.resource?.urn ?? "",
        op: p.type ?? "unknown",
      }));
      return {
        outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value])),
        resources: resources.length,
        urns: resources.flatMap((r) => (r.urn ? [r.urn] : [])),
        parents: Object.fromEntries(
          resources.flatMap((r) => (r.urn && r.parent ? [[r.urn, r.parent] as const] : [])),
        ),
        pending,
      };
    } catch (e) {
      throw new ExternalError(`cannot read the state of stack ${stackName}: ${cliError(e)}`);
    }
  },

  preview: (stackName, job, opts: RunStepOptions) =>
    withJob(stackName, job, async (stack) => {
      const events: EngineEvent[] = [];
      try {
        const r = await stack.preview({
          ...(opts.output ? { onOutput: opts.output } : {}),
          onEvent: (e) => events.push(e),
          refresh: opts.refresh,
        });
        return { changes: counts(r.changeSummary), ...previewFindings(events) };
      } catch (e) {
        const findings = previewFindings(events);
        // a preview that fails on protected deletes is a finding, not an engine failure
        if (findings.protectedDeletes.length > 0) return { changes: {}, ...findings };
        throw new ExternalError(`preview of ${stackName} failed: ${cliError(e, stackName)}`);
      }
    }),

  up: (stackName, job, opts: RunStepOptions) =>
    withJob(stackName, job, async (stack) => {
      try {
        const r = await stack.up({
          ...(opts.output ? { onOutput: opts.output } : {}),
          refresh: opts.refresh,
        });
        return counts(r.summary.resourceChanges);
      } catch (e) {
        throw new ExternalError(`up of ${stackName} failed: ${cliError(e, stackName)}`);
      }
    }),

  async createStack(stackName) {
    await open(stackName);
  },

  async stateMove(source, dest, urns) {
    // the Automation API has no state move: the CLI's own command, in the workspace (pkg/cmd/pulumi/state/state_move.go)
    try {
      await execFileAsync(
        "pulumi",
        ["state", "move", "--yes", "--non-interactive", "--source", source, "--dest", dest, ...urns],
        { cwd: WORK_DIR, maxBuffer: 64 * 1024 * 1024 },
      );
    } catch (e) {
      const err = e as { stderr?: string; message?: string };
      throw new ExternalError(
        `moving ${urns.length} resource(s) from ${source} to ${dest} failed: ${cliError({ message: err.stderr || err.message }, source)}`,
      );
    }
  },

  async clearPendingCreates(stackName) {
    // only the pending creates leave the checkpoint (exported, edited, imported): `refresh --clear-pending-creates`
    // would refresh every resource's state too, before the preflight had its say
    const stack = await open(stackName);
    try {
      const state = await stack.exportStack();
      const d = state.deployment as { pending_operations?: { type?: string }[] } | undefined;
      if (!d?.pending_operations?.some((p) => p.type === "creating")) return;
      d.pending_operations = d.pending_operations.filter((p) => p.type !== "creating");
      await stack.importStack(state);
    } catch (e) {
      throw new ExternalError(
        `clearing the pending creates of ${stackName} failed: ${cliError(e, stackName)}`,
      );
    }
  },

  destroy: (stackName, job, opts: RunStepOptions) =>
    withJob(stackName, job, async (stack) => {
      try {
        // what is protected stays, and with it what lives inside it and what it stands on (deploy/destroy.ts)
        const state = await stack.exportStack();
        const resources =
          (state.deployment as { resources?: CheckpointResource[] } | undefined)?.resources ?? [];
        const kept = keptByDestroy(resources);
        if (resources.length > 0 && kept.size === resources.length) return { same: kept.size };
        const r = await stack.destroy({
          ...(opts.output ? { onOutput: opts.output } : {}),
          ...(kept.size > 0 ? { exclude: [...kept] } : {}),
        });
        return counts(r.summary.resourceChanges);
      } catch (e) {
        throw new ExternalError(`destroy of ${stackName} failed: ${cliError(e, stackName)}`);
      }
    }),
};
