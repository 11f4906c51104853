/**
 * A fake Pulumi engine for the orchestrator's tests, built on the plan harness and on what the real engine is
 * documented (and read in its source) to do, so the real engine's view is reproduced, not the mock's:
 * - a StackReference reads the referenced stack's last *applied* outputs, in a preview too; a stack that was
 *   never created fails (`unknown stack`), one created but never updated reads `{}`; opening a stack to preview
 *   or update it creates it (as `createOrSelectStack` does);
 * - a preview runs the program with `isDryRun()` true and changes nothing;
 * - deletes of resources the program no longer registers run after every create and update, dependents first;
 *   a protected resource's delete step fails (in a preview too), the others go on; a resource whose
 *   `deletedWith` target is being deleted in the same operation is dropped from state without a provider delete.
 */
import { type RecordedResource, runProgram } from "../../plan/harness";
import { MOCK_ORGANIZATION } from "../../plan/harness";
import type {
  Changes,
  PreviewReport,
  Program,
  RunStepOptions,
  StackEngine,
  StackState,
} from "../../deploy/run";
import { ExternalError } from "../../components/core/problems";
import { PROJECT } from "../../layers/identity";

export interface FakeStack {
  outputs: Record<string, unknown>;
  resources: RecordedResource[];
}

/** What an update's deletes did. */
export interface DeleteSteps {
  /** URNs of protected resources whose delete failed. */
  refused: string[];
  /** URNs deleted through their provider, in order. */
  deleted: string[];
  /** URNs dropped from state because their `deletedWith` target was being deleted (no provider delete). */
  droppedWith: string[];
}

/** The delete steps of an update from `old` state to the resources a program registered, as the engine orders them. */
export function deleteSteps(old: RecordedResource[], next: RecordedResource[]): DeleteSteps {
  const kept = new Set(next.map((r) => r.urn));
  const gone = old.filter((r) => !kept.has(r.urn) && r.type !== "pulumi:pulumi:Stack");
  const goneUrns = new Set(gone.map((r) => r.urn));
  // dependents before what they depend on: parent, dependsOn and deletedWith are edges
  const deps = (r: RecordedResource) =>
    [r.parentUrn, r.deletedWith, ...r.dependsOn].filter(Boolean) as string[];
  const ordered: RecordedResource[] = [];
  const placed = new Set<string>();
  const visit = (r: RecordedResource) => {
    if (placed.has(r.urn)) return;
    placed.add(r.urn);
    // everything depending on r goes before r
    for (const other of gone) if (deps(other).includes(r.urn)) visit(other);
    ordered.push(r);
  };
  for (const r of gone) visit(r);
  const steps: DeleteSteps = { refused: [], deleted: [], droppedWith: [] };
  for (const r of ordered) {
    if (r.protect) steps.refused.push(r.urn);
    else if (r.deletedWith && goneUrns.has(r.deletedWith)) steps.droppedWith.push(r.urn);
    else steps.deleted.push(r.urn);
  }
  return steps;
}

/** The engine's counts per operation for a step from `old` state to what a program registered. */
function changeCounts(old: RecordedResource[], next: RecordedResource[], steps: DeleteSteps): Changes {
  const before = new Map(old.map((r) => [r.urn, r]));
  const out: Changes = {
    create: 0,
    update: 0,
    delete: steps.deleted.length + steps.droppedWith.length,
    same: 0,
  };
  for (const r of next) {
    const was = before.get(r.urn);
    if (!was) out.create!++;
    else if (JSON.stringify(was.inputs) === JSON.stringify(r.inputs)) out.same!++;
    else out.update!++;
  }
  return out;
}

export class FakeEngine implements StackEngine {
  readonly stacks = new Map<string, FakeStack>();
  /** Every engine operation, in order: `preview <stack>`, `up <stack>`, `destroy <stack>`. */
  readonly calls: string[] = [];
  /** The outputs of the last preview of each stack (`awaitingUpstream` says what waits on an upstream layer). */
  readonly previewOutputs = new Map<string, Record<string, unknown>>();
  /** The delete steps of the last update of each stack. */
  readonly lastDeletes = new Map<string, DeleteSteps>();

  async state(stack: string): Promise<StackState | undefined> {
    const s = this.stacks.get(stack);
    return s && { outputs: s.outputs, resources: s.resources.length };
  }

  /** Upstream outputs as the engine reads them: every existing stack's last applied outputs. */
  private referenced(): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const [name, s] of this.stacks) out[`${MOCK_ORGANIZATION}/${PROJECT}/${name}`] = s.outputs;
    return out;
  }

  private open(stack: string): FakeStack {
    if (!this.stacks.has(stack)) this.stacks.set(stack, { outputs: {}, resources: [] });
    return this.stacks.get(stack)!;
  }

  async preview(stack: string, program: Program, _opts: RunStepOptions): Promise<PreviewReport> {
    this.calls.push(`preview ${stack}`);
    const current = this.open(stack);
    let run;
    try {
      run = await runProgram({ stack, stackOutputs: this.referenced(), dryRun: true }, program);
    } catch (e) {
      throw new ExternalError(`preview of ${stack} failed: ${(e as Error).message}`);
    }
    const steps = deleteSteps(current.resources, run.resources);
    this.previewOutputs.set(stack, run.outputs);
    return {
      changes: changeCounts(current.resources, run.resources, steps),
      protectedDeletes: steps.refused,
      errors: [],
    };
  }

  async up(stack: string, program: Program, _opts: RunStepOptions): Promise<Changes> {
    this.calls.push(`up ${stack}`);
    const current = this.open(stack);
    let run;
    try {
      run = await runProgram({ stack, stackOutputs: this.referenced() }, program);
    } catch (e) {
      throw new ExternalError(`up of ${stack} failed: ${(e as Error).message}`);
    }
    const steps = deleteSteps(current.resources, run.resources);
    const changes = changeCounts(current.resources, run.resources, steps);
    this.lastDeletes.set(stack, steps);
    const refused = new Set(steps.refused);
    // the refused stay in state; everything else is as the program registered it
    current.resources = [...run.resources, ...current.resources.filter((r) => refused.has(r.urn))];
    if (steps.refused.length > 0)
      throw new ExternalError(
        `up of ${stack} failed: ${steps.refused.length} protected resources cannot be deleted`,
      );
    current.outputs = run.outputs;
    return changes;
  }

  async destroy(stack: string, _program: Program, _opts: RunStepOptions): Promise<Changes> {
    this.calls.push(`destroy ${stack}`);
    const current = this.open(stack);
    const kept = current.resources.filter((r) => r.protect);
    const deleted = current.resources.length - kept.length;
    current.resources = kept;
    current.outputs = {};
    return { delete: deleted, same: kept.length };
  }
}
