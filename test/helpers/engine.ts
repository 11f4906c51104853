/**
 * A fake Pulumi engine for the orchestrator's tests, built on the plan harness and on what the real engine is
 * documented (and read in its source) to do, so the real engine's view is reproduced, not the mock's:
 * - a StackReference reads the referenced stack's last *applied* outputs, in a preview too; a stack that was
 *   never created fails (`unknown stack`), one created but never updated reads `{}`; opening a stack to preview
 *   or update it creates it (as `createOrSelectStack` does);
 * - a preview runs the program with `isDryRun()` true and changes nothing;
 * - deletes of resources the program no longer registers run after every create and update, dependents first;
 *   a protected resource's delete step fails (in a preview too), the others go on; a resource whose
 *   `deletedWith` target is being deleted in the same operation is dropped from state without a provider delete;
 * - a resource whose provider's diff asks for a replace (Kubernetes: a change of `metadata.name` or
 *   `metadata.namespace`, which pulumi-kubernetes' Diff always forces, provider/pkg/provider/provider.go; other
 *   providers' and the schemas' force-new fields are not modelled) is replaced; a replace is refused while the
 *   resource is protected both in its state and in the program (pkg/resource/deploy/step_generator.go
 *   `new.Protect && old.Protect`: unprotecting and replacing in one update is allowed): a preview fails with the
 *   engine's message, an update stops there. Create-before-delete unless the resource sets `deleteBeforeReplace`
 *   (the provider asks for delete-before-replace only when the name stays, which is no rename): the new object
 *   is made at the resource's turn, the old one deleted with the update's deletes (the engine generates the
 *   delete of a replaced resource after all creates and updates; step.go skips the protect check of a
 *   replacement's delete); the world's object is deleted then (`onStep` sees every step act on the world);
 * - an update applies its steps one at a time and stops at the first that fails, before any delete (the engine's
 *   step executor: pkg/resource/deploy/step_executor.go stops the deployment on an error); what was created
 *   before stays in state, the rest is not done;
 * - an interrupted update leaves the create it was running as a pending operation (`pending_operations` in the
 *   checkpoint, pkg/resource/deploy/snapshot.go), the object made but not recorded; exported, edited and imported
 *   again (`pulumi stack export` / `import`, Pulumi's documented way out of an interrupted update), the
 *   checkpoint loses it and nothing else.
 * And the providers' rules, where the test gives a world (`FakeWorld`) for them to act on:
 * - Kubernetes (pulumi-kubernetes v4, server-side apply): a create of an object that exists fails ("already
 *   exists", provider.go Create; the preview said create), unless the provider upserts
 *   (`upsertExistingObjects`); every write is a server-side apply by the provider's field manager, forced only
 *   with the `pulumi.com/patchForce` annotation, so another manager's conflicting fields fail the step;
 * - Vault: creating an entity alias whose name and mount have one already fails (terraform-provider-vault#1693;
 *   a user's first OIDC login makes one), unless it is imported.
 */
import { fork } from "node:child_process";
import { join } from "node:path";
import {
  type ProgramRun,
  type RecordedRead,
  type RecordedResource,
  revealSecrets,
  runProgram,
} from "../../plan/harness";
import { writeRunFile } from "../../deploy/run-file";
import type { ChildAnswer, ChildRequest } from "./engine-child";
import { MOCK_ORGANIZATION } from "../../plan/harness";
import { jobProgram } from "../../deploy/run";
import type {
  Changes,
  PendingOperation,
  PreviewReport,
  StackJob,
  RunStepOptions,
  StackEngine,
  StackState,
} from "../../deploy/run";
import { request } from "node:http";
import { createHash } from "node:crypto";
import { kvReads } from "./vault-kv";
import type { KubeConfig } from "@kubernetes/client-node";
import { RawObjectApi } from "../../deploy/kube";
import { ExternalError } from "../../components/core/problems";
import { PROJECT, providerUrn } from "../../layers/identity";
import { keptByDestroy } from "../../deploy/destroy";

export interface FakeStack {
  outputs: Record<string, unknown>;
  resources: RecordedResource[];
  pending: (PendingOperation & { resource: RecordedResource })[];
  /** What the last update read (`<Resource>.get`), as the checkpoint stores it (external resources). */
  reads?: RecordedRead[];
}

/** What exists outside the engine's state, for the fake providers to act on. */
export interface FakeWorld {
  /** Kubernetes API servers (test/helpers/kube-server.ts) by the kubeconfig context a provider names. */
  kubernetes?: Record<string, { kubeConfig(): KubeConfig }>;
  /** Vault's identities (test/helpers/vault-identity-server.ts): the aliases users' logins made. */
  vault?: { hasAlias(name: string, accessor: string): boolean };
  /** Vault's KV v2 secrets by `<mount>/<path>` (field -> value): what a program's KV reads answer (./vault-kv.ts kvReads). */
  kv?: Record<string, Record<string, string>>;
}

/** A Kubernetes object's name, if the resource is one. */
const nameOf = (r: RecordedResource) => {
  const m = r.inputs.metadata as { name?: unknown } | undefined;
  return typeof m?.name === "string" ? m.name : undefined;
};

/** A provider reference's provider: `<provider urn>::<id>` without the id. */

/** The field manager of the fake Kubernetes provider's applies (the real one's: pulumi-kubernetes-<suffix>). */
export const FAKE_MANAGER = "pulumi-kubernetes-fake";

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

/**
 * Whether the provider's diff of `was` to `now` asks for a replace: for a Kubernetes object, a change of its
 * identity (pulumi-kubernetes provider.go Diff: `forceNewFields := []string{".metadata.name",
 * ".metadata.namespace"}`); other force-new fields are not modelled.
 */
export function replaces(was: RecordedResource, now: RecordedResource): boolean {
  if (!now.type.startsWith("kubernetes:") || now.type.startsWith("pulumi:providers:")) return false;
  const id = (r: RecordedResource) => {
    const m = (r.inputs.metadata ?? {}) as { name?: unknown; namespace?: unknown };
    return JSON.stringify([m.name, m.namespace]);
  };
  return id(was) !== id(now);
}

/** The engine's refusal of a protected replace, in its words (pkg/resource/deploy/step_generator.go). */
export function protectedReplace(urn: string): string {
  return `unable to replace resource "${urn}"\nas it is currently marked for protection. To unprotect the resource, remove the \`protect\` flag from the resource in your Pulumi program and run \`pulumi up\``;
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
    else if (replaces(was, r)) out.replace = (out.replace ?? 0) + 1;
    else if (JSON.stringify(was.inputs) === JSON.stringify(r.inputs)) out.same!++;
    else out.update!++;
  }
  return out;
}

/** A step that acted on the world, as the fake providers ran it. */
export interface WorldStep {
  stack: string;
  /**
   * `create`, `update`, `create-replacement` (the new object of a replace), `delete-replaced` (the old one),
   * `delete` (of a resource the program no longer registers).
   */
  op: "create" | "update" | "create-replacement" | "delete-replaced" | "delete";
  urn: string;
  /** The Kubernetes object's name the step wrote or deleted. */
  name?: string;
}

export class FakeEngine implements StackEngine {
  readonly stacks = new Map<string, FakeStack>();
  /** Every engine operation, in order: `preview <stack>`, `up <stack>`, `destroy <stack>`. */
  readonly calls: string[] = [];
  /** The outputs of the last preview of each stack (`awaitingUpstream` says what waits on an upstream layer). */
  readonly previewOutputs = new Map<string, Record<string, unknown>>();
  /** The delete steps of the last update of each stack. */
  readonly lastDeletes = new Map<string, DeleteSteps>();
  /** Called after each step that acted on the world, before the next one (to look at the world in between). */
  onStep?: (step: WorldStep) => Promise<void> | void;
  /** Stops the next update of a stack as a crash would, while it creates the first resource of `type`. */
  interrupt?: { stack: string; type: string };

  /**
   * Runs each program in a process of its own, through Pulumi.yaml's program and a run file, as the automation
   * engine does (./engine-child.ts); `fail` names stacks whose update fails there as a failed registration does.
   */
  isolated?: { fail?: string[] };

  /**
   * Each resource's inputs as its provider received them in the last run, secrets unwrapped: what the fake
   * providers write to the world (the recorded inputs show secrets as "[secret]", as the checkpoint stores them).
   */
  private readonly providerInputs = new Map<string, Record<string, unknown>>();

  /**
   * Per stack, a digest of each resource's inputs as applied, secrets included: the real engine keeps secret
   * inputs encrypted in the checkpoint and compares them decrypted, so a changed secret (a value rotated in Vault)
   * is an update although its recorded form ("[secret]") stays the same. A digest stands for the ciphertext here.
   */
  private readonly appliedDigests = new Map<string, Map<string, string>>();

  /** Whether the inputs of `r` differ from what the stack applied last (`was`), secret values included. */
  private inputsChanged(stack: string, was: RecordedResource, r: RecordedResource): boolean {
    if (JSON.stringify(was.inputs) !== JSON.stringify(r.inputs)) return true;
    const applied = this.appliedDigests.get(stack)?.get(r.urn);
    return applied !== undefined && applied !== this.digestOf(r);
  }

  private digestOf(r: RecordedResource): string {
    return createHash("sha256")
      .update(JSON.stringify(this.providerInputs.get(r.urn) ?? r.inputs))
      .digest("hex");
  }

  constructor(readonly world: FakeWorld = {}) {}

  /** Runs a job's program as the engine would: here, or in a child process (isolated). */
  private async run(stack: string, job: StackJob, dryRun: boolean): Promise<ProgramRun> {
    const opts = { stack, stackOutputs: this.referenced(), dryRun };
    // a read answered from the world: in this process only (a function does not cross to the child)
    if (!this.isolated)
      return runProgram(
        {
          ...opts,
          read: this.readObject,
          observeInputs: (r, inputs) => this.providerInputs.set(r.urn, revealSecrets(inputs) as never),
          ...(this.world.kv ? { invoke: kvReads(this.world.kv) } : {}),
        },
        jobProgram(job),
      );
    const file = writeRunFile({
      model: job.input.model,
      ...(job.input.adoption ? { adoption: job.input.adoption } : {}),
    });
    try {
      const child = fork(join(__dirname, "engine-child.ts"), [], {
        execArgv: ["--require", "tsx/cjs"],
        serialization: "advanced",
        stdio: ["ignore", "ignore", "pipe", "ipc"],
      });
      let stderr = "";
      child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
      const request: ChildRequest = {
        ...opts,
        runFile: file.path,
        ...(this.world.kv ? { kv: this.world.kv } : {}),
        ...(!dryRun && this.isolated.fail?.includes(stack)
          ? { fail: `registration of ${stack} failed` }
          : {}),
      };
      return await new Promise<ProgramRun>((resolve, reject) => {
        let answer: ChildAnswer | undefined;
        child.on("message", (m: typeof answer) => (answer = m));
        child.on("exit", (code) => {
          if (answer?.ok && code === 0) {
            for (const [urn, inputs] of answer.inputs ?? []) this.providerInputs.set(urn, inputs);
            resolve(answer.run!);
          } else
            reject(
              new Error(
                answer && !answer.ok
                  ? answer.message
                  : `the program's process exited with code ${code}: ${
                      stderr
                        .trim()
                        .split("\n")
                        .find((l) => /Error/.test(l)) ?? ""
                    }`,
              ),
            );
        });
        child.send(request);
      });
    } finally {
      file.remove();
    }
  }

  /**
   * The Kubernetes provider's Read of an object a program reads (`<Resource>.get`), from the world's API server of
   * the provider's context (pulumi-kubernetes provider.go Read): the program gets the live object; the checkpoint
   * stores it as `checkpointObject` makes it, the live object with `__inputs` (the live object without the server's
   * fields and the last-applied annotation) beside it, and a Secret's `data` and `stringData` secret in both
   * (`annotateSecrets`). Everything else, the annotations included, is stored as it is.
   */
  private readonly readObject = async (r: { type: string; id: string; provider?: RecordedResource }) => {
    const server = r.provider && this.world.kubernetes?.[String(r.provider.inputs.context)];
    const [, groupVersion, kind] = r.type.split(":") as [string, string, string];
    if (!server || !r.type.startsWith("kubernetes:")) return undefined;
    const [namespace, name] = r.id.includes("/") ? r.id.split("/") : [undefined, r.id];
    const apiVersion = groupVersion.replace(/^core\//, "");
    const live = await RawObjectApi.of(server.kubeConfig())
      .read({ apiVersion, kind, metadata: { name: name!, ...(namespace ? { namespace } : {}) } })
      .catch(() => undefined);
    // the engine's words for a read finding nothing (pkg/resource/deploy/step.go, ReadStep)
    if (!live) throw new Error(`resource '${r.id}' does not exist`);
    const object = live as unknown as Record<string, unknown>;
    const secrets = (o: Record<string, unknown>) =>
      o.kind === "Secret"
        ? {
            ...o,
            ...(o.data !== undefined ? { data: "[secret]" } : {}),
            ...(o.stringData !== undefined ? { stringData: "[secret]" } : {}),
          }
        : o;
    const meta = { ...(object.metadata as Record<string, unknown>) };
    for (const k of ["creationTimestamp", "generation", "managedFields", "resourceVersion", "uid"])
      delete meta[k];
    if (meta.annotations) {
      const { "kubectl.kubernetes.io/last-applied-configuration": _, ...rest } = meta.annotations as Record<
        string,
        string
      >;
      meta.annotations = rest;
    }
    return {
      state: object,
      stored: { ...secrets(object), __inputs: secrets({ ...object, metadata: meta }) },
    };
  };

  async state(stack: string): Promise<StackState | undefined> {
    const s = this.stacks.get(stack);
    return (
      s && {
        outputs: s.outputs,
        resources: s.resources.length,
        urns: s.resources.map((r) => r.urn),
        parents: Object.fromEntries(s.resources.flatMap((r) => (r.parentUrn ? [[r.urn, r.parentUrn]] : []))),
        pending: s.pending.map(({ urn, op }) => ({ urn, op })),
      }
    );
  }

  /** `pulumi stack select --create <stack>`: the stack, made empty if it does not exist. */
  selectCreate(stack: string): void {
    this.calls.push(`stack select --create ${stack}`);
    this.open(stack);
  }

  async createStack(stack: string): Promise<void> {
    this.selectCreate(stack);
  }

  /** The StackEngine's move: as `moveState`, the URNs named that matched nothing refused as the CLI warns of them. */
  async stateMove(source: string, dest: string, urns: string[]): Promise<void> {
    const unmatched = this.moveState(source, dest, urns);
    if (unmatched.length > 0)
      throw new Error(`state move ${source} -> ${dest}: no resources ${unmatched.join(", ")}`);
  }

  /**
   * `pulumi state move --source <source> --dest <dest> <urn>...` as pkg/cmd/pulumi/state/state_move.go does it:
   * both stacks must exist (loaded, never created: "no stack named ... found"); a provider cannot be named; the
   * resources named move with their children; the providers they use are copied, unless the destination has
   * the provider already (the same id: copied before; the same inputs: used instead; other inputs: "provider
   * ... already exists in destination stack"); a resource the destination holds already is refused. Here URNs
   * are given as the engine writes them (`<stack>::<project>::<type>::<name>`), the mock runtime's parent
   * `pulumi:pulumi:Stack$` mapped. Returns the URNs named that matched nothing (the CLI warns of them).
   */
  moveState(source: string, dest: string, urns: string[]): string[] {
    this.calls.push(`state move ${source} -> ${dest}`);
    const src = this.stacks.get(source);
    const dst = this.stacks.get(dest);
    if (!src) throw new Error(`no stack named '${source}' found`);
    if (!dst) throw new Error(`no stack named '${dest}' found`);
    const named = new Map(
      urns.map((u) => [
        u.includes("::pulumi:pulumi:Stack$")
          ? u
          : u.replace(/::tenancy::/, "::tenancy::pulumi:pulumi:Stack$"),
        u,
      ]),
    );
    const moving = new Set<string>();
    for (const r of src.resources)
      if (named.has(r.urn)) {
        if (r.type.startsWith("pulumi:providers:"))
          throw new Error(
            "cannot move providers. Only resources can be moved, and providers will be included automatically",
          );
        moving.add(r.urn);
      }
    const unmatched = [...named].filter(([mock]) => !moving.has(mock)).map(([, u]) => u);
    if (moving.size === 0) throw new Error("no resources found to move");
    for (let grew = true; grew;) {
      grew = false;
      for (const r of src.resources)
        if (!moving.has(r.urn) && r.parentUrn && moving.has(r.parentUrn)) {
          moving.add(r.urn);
          grew = true;
        }
    }
    const rename = (u: string) =>
      u
        .split(`urn:pulumi:${source}::`)
        .join(`urn:pulumi:${dest}::`)
        .split(`::tenancy-${source}`)
        .join(`::tenancy-${dest}`);
    const has = new Map(dst.resources.map((r) => [r.urn, r]));
    const copies: RecordedResource[] = [];
    const providerOf = new Map<string, string>();
    for (const r of src.resources.filter((x) => moving.has(x.urn) && x.provider)) {
      const ref = r.provider!;
      if (providerOf.has(ref)) continue;
      const urn = providerUrn(ref);
      const provider = src.resources.find((p) => p.urn === urn)!;
      const there = has.get(rename(urn));
      if (!there) copies.push({ ...provider, urn: rename(urn) });
      else if (JSON.stringify(there.inputs) !== JSON.stringify(provider.inputs))
        throw new Error(`provider ${rename(urn)} already exists in destination stack`);
      providerOf.set(ref, rename(ref));
    }
    const moved: RecordedResource[] = [];
    for (const r of src.resources.filter((x) => moving.has(x.urn))) {
      if (has.has(rename(r.urn)))
        throw new Error(`resource ${rename(r.urn)} already exists in destination stack`);
      moved.push({
        ...r,
        urn: rename(r.urn),
        ...(r.parentUrn ? { parentUrn: rename(r.parentUrn) } : {}),
        ...(r.provider ? { provider: providerOf.get(r.provider)! } : {}),
        dependsOn: r.dependsOn.map(rename),
        ...(r.deletedWith ? { deletedWith: rename(r.deletedWith) } : {}),
      });
    }
    src.resources = src.resources.filter((r) => !moving.has(r.urn));
    dst.resources.push(...copies, ...moved);
    return unmatched;
  }

  async clearPendingCreates(stack: string, _opts: RunStepOptions): Promise<void> {
    this.calls.push(`drop pending creates ${stack}`);
    const s = this.open(stack);
    s.pending = s.pending.filter((p) => p.op !== "creating");
  }

  /** The world's API server of a Kubernetes object's cluster (its provider's context), if the world has it. */
  private serverOf(r: RecordedResource, providers: Map<string, RecordedResource>) {
    const provider = r.provider ? providers.get(providerUrn(r.provider)) : undefined;
    if (!provider || !r.type.startsWith("kubernetes:")) return undefined;
    const server = this.world.kubernetes?.[String(provider.inputs.context)];
    return server && { server, provider };
  }

  /** The fake providers' create or update of one resource; throws as the real provider fails. */
  private async apply(r: RecordedResource, providers: Map<string, RecordedResource>, create: boolean) {
    const found = this.serverOf(r, providers);
    if (found) {
      const { server, provider } = found;
      const kc = server.kubeConfig();
      const api = RawObjectApi.of(kc);
      const obj = (this.providerInputs.get(r.urn) ?? r.inputs) as {
        apiVersion: string;
        kind: string;
        metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
      };
      if (create && !provider.inputs.upsertExistingObjects) {
        const exists = await api.read(obj).then(
          () => true,
          () => false,
        );
        if (exists)
          throw new Error(
            `resource "${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ""}${obj.metadata.name}" was not successfully created by the Kubernetes API server: ${obj.kind} "${obj.metadata.name}" already exists`,
          );
      }
      const force = obj.metadata.annotations?.["pulumi.com/patchForce"] === "true";
      // the manifest as it is, by server-side apply (the client's typed models would drop fields such as `default`)
      const url = new URL(await api.path(obj), kc.getCurrentCluster()!.server);
      url.searchParams.set("fieldManager", FAKE_MANAGER);
      if (force) url.searchParams.set("force", "true");
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          url,
          {
            method: "PATCH",
            headers: {
              "content-type": "application/apply-patch+yaml",
              authorization: `Bearer ${kc.getCurrentUser()!.token}`,
            },
          },
          (res) => {
            let body = "";
            res.on("data", (d: Buffer) => (body += d.toString()));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on("error", reject);
        req.end(JSON.stringify(obj));
      });
      if (answer.status === 409)
        throw new Error(
          `Server-Side Apply field conflict detected for ${obj.kind} ${obj.metadata.name}: ${answer.body}`,
        );
      if (answer.status >= 300) throw new Error(`HTTP ${answer.status}: ${answer.body}`);
    }
    if (r.type === "vault:identity/entityAlias:EntityAlias" && create && !r.importId) {
      if (this.world.vault?.hasAlias(String(r.inputs.name), String(r.inputs.mountAccessor)))
        throw new Error(
          `error writing IdentityEntityAlias: entity alias with name ${String(r.inputs.name)} and mount accessor ${String(r.inputs.mountAccessor)} already exists`,
        );
    }
  }

  /** The fake Kubernetes provider's delete of one object (a replaced resource's old object). */
  private async remove(r: RecordedResource, providers: Map<string, RecordedResource>) {
    const found = this.serverOf(r, providers);
    if (!found) return;
    // an object gone already is deleted (pulumi-kubernetes' Delete takes NotFound as done)
    await RawObjectApi.of(found.server.kubeConfig())
      .delete(
        r.inputs as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } },
      )
      .catch((e: { code?: number }) => {
        if (e.code !== 404) throw e;
      });
  }

  /** Upstream outputs as the engine reads them: every existing stack's last applied outputs. */
  private referenced(): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const [name, s] of this.stacks) out[`${MOCK_ORGANIZATION}/${PROJECT}/${name}`] = s.outputs;
    return out;
  }

  private open(stack: string): FakeStack {
    if (!this.stacks.has(stack)) this.stacks.set(stack, { outputs: {}, resources: [], pending: [] });
    return this.stacks.get(stack)!;
  }

  /**
   * A refresh's view of a Kubernetes object in state: gone (the refresh drops it; the update creates it again), or
   * changed by someone else in a field the resource sets (the update sets it back), or as recorded.
   */
  private async refreshed(r: RecordedResource, providers: Map<string, RecordedResource>) {
    const found = this.serverOf(r, providers);
    if (!found) return "same";
    const live = await RawObjectApi.of(found.server.kubeConfig())
      .read(r.inputs as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } })
      .catch(() => undefined);
    if (!live) return "create";
    const differs = (want: unknown, have: unknown): boolean =>
      want !== null && typeof want === "object" && !Array.isArray(want)
        ? Object.entries(want).some(([k, v]) =>
            differs(v, (have as Record<string, unknown> | undefined)?.[k]),
          )
        : JSON.stringify(want) !== JSON.stringify(have);
    const { apiVersion: _v, kind: _k, ...set } = r.inputs;
    return differs(set, live) ? "update" : "same";
  }

  async preview(stack: string, job: StackJob, opts: RunStepOptions): Promise<PreviewReport> {
    this.calls.push(`preview ${stack}`);
    const current = this.open(stack);
    let run;
    try {
      run = await this.run(stack, job, true);
    } catch (e) {
      throw new ExternalError(`preview of ${stack} failed: ${(e as Error).message}`);
    }
    const steps = deleteSteps(current.resources, run.resources);
    this.previewOutputs.set(stack, run.outputs);
    const was = new Map(current.resources.map((r) => [r.urn, r]));
    const providers = new Map(
      current.resources.filter((r) => r.type.startsWith("pulumi:providers:")).map((r) => [r.urn, r]),
    );
    const changed: { urn: string; op: string }[] = [];
    const refusedReplaces: string[] = [];
    for (const r of run.resources) {
      const old = was.get(r.urn);
      const live = old && opts.refresh ? await this.refreshed(old, providers) : "same";
      if (!old || live === "create") changed.push({ urn: r.urn, op: "create" });
      else if (replaces(old, r)) {
        // the preview goes on after the refusal and fails at its end (step_generator.go)
        if (old.protect && r.protect) refusedReplaces.push(r.urn);
        changed.push(
          ...["create-replacement", "replace", "delete-replaced"].map((op) => ({ urn: r.urn, op })),
        );
      } else if (live === "update" || this.inputsChanged(stack, old, r))
        changed.push({ urn: r.urn, op: "update" });
    }
    // the Automation API's preview rejects; without a protected delete it is an engine failure (deploy/automation.ts)
    if (refusedReplaces.length > 0 && steps.refused.length === 0)
      throw new ExternalError(`preview of ${stack} failed: ${protectedReplace(refusedReplaces[0]!)}`);
    for (const urn of [...steps.refused, ...steps.deleted, ...steps.droppedWith])
      changed.push({ urn, op: "delete" });
    return {
      changes: changeCounts(current.resources, run.resources, steps),
      protectedDeletes: steps.refused,
      errors: [],
      steps: changed,
    };
  }

  async up(stack: string, job: StackJob, opts: RunStepOptions): Promise<Changes> {
    this.calls.push(`up ${stack}`);
    const current = this.open(stack);
    let run;
    try {
      run = await this.run(stack, job, false);
    } catch (e) {
      throw new ExternalError(`up of ${stack} failed: ${(e as Error).message}`);
    }
    const steps = deleteSteps(current.resources, run.resources);
    const changes = changeCounts(current.resources, run.resources, steps);
    // creates and updates, one at a time, through the fake providers
    const before = new Map(current.resources.map((r) => [r.urn, r]));
    const providers = new Map(
      run.resources.filter((r) => r.type.startsWith("pulumi:providers:")).map((r) => [r.urn, r]),
    );
    const done: RecordedResource[] = [];
    /** Replaced resources' old states, deleted with the update's deletes (create-before-delete). */
    const replaced: RecordedResource[] = [];
    const interrupt = this.interrupt?.stack === stack ? this.interrupt : undefined;
    for (const r of run.resources) {
      // a refresh first sees what changed out of band: gone (so created again) or changed (so set back)
      const live =
        before.has(r.urn) && opts.refresh ? await this.refreshed(before.get(r.urn)!, providers) : "same";
      const was = live === "create" ? undefined : before.get(r.urn);
      const create = !was;
      const replacing = was !== undefined && replaces(was, r);
      if (replacing && was.protect && r.protect) {
        // the step generator bails at once in an update: what was done stays, nothing after it runs
        current.resources = [...current.resources.filter((o) => !done.some((d) => d.urn === o.urn)), ...done];
        throw new ExternalError(`up of ${stack} failed: ${protectedReplace(r.urn)}`);
      }
      if (interrupt && create && r.type === interrupt.type) {
        // the crash comes after the provider made it, before the engine recorded it
        await this.apply(r, providers, create).catch(() => undefined);
        this.interrupt = undefined;
        current.resources = [...current.resources.filter((o) => !done.some((d) => d.urn === o.urn)), ...done];
        current.pending.push({ urn: r.urn, op: "creating", resource: r });
        throw new ExternalError(`up of ${stack} failed: the update was interrupted`);
      }
      if (create || live === "update" || this.inputsChanged(stack, was, r))
        try {
          if (replacing && r.deleteBeforeReplace) {
            await this.remove(was, providers);
            await this.onStep?.({ stack, op: "delete-replaced", urn: r.urn, name: nameOf(was) });
          }
          // a replacement's new object is a create (an existing one of its name fails as any create does)
          await this.apply(r, providers, create || replacing);
          if (replacing && !r.deleteBeforeReplace) replaced.push(was);
          await this.onStep?.({
            stack,
            op: replacing ? "create-replacement" : create ? "create" : "update",
            urn: r.urn,
            name: nameOf(r),
          });
        } catch (e) {
          // what was done stays; nothing after it, and no delete, runs
          current.resources = [
            ...current.resources.filter((o) => !done.some((d) => d.urn === o.urn)),
            ...done,
          ];
          throw new ExternalError(`up of ${stack} failed: ${r.urn}: ${(e as Error).message}`);
        }
      done.push(r);
    }
    // the deletes: a replaced resource's old object goes (a replacement's delete is not refused for protect:
    // step.go DeleteStep.Apply checks `!s.replacing`)
    for (const old of replaced) {
      await this.remove(old, providers);
      await this.onStep?.({ stack, op: "delete-replaced", urn: old.urn, name: nameOf(old) });
    }
    // the program's dropped resources, dependents first, through their providers (a protected one's delete fails
    // and the others go on; one deletedWith a resource deleted here is dropped from state alone)
    const everyProvider = new Map([
      ...current.resources
        .filter((r) => r.type.startsWith("pulumi:providers:"))
        .map((r) => [r.urn, r] as const),
      ...providers,
    ]);
    for (const urn of steps.deleted) {
      const old = before.get(urn)!;
      await this.remove(old, everyProvider);
      await this.onStep?.({ stack, op: "delete", urn, name: nameOf(old) });
    }
    this.lastDeletes.set(stack, steps);
    const refused = new Set(steps.refused);
    // the refused stay in state; everything else is as the program registered it
    current.resources = [...run.resources, ...current.resources.filter((r) => refused.has(r.urn))];
    if (steps.refused.length > 0)
      throw new ExternalError(
        `up of ${stack} failed: ${steps.refused.length} protected resources cannot be deleted`,
      );
    current.outputs = run.outputs;
    current.reads = run.reads ?? [];
    this.appliedDigests.set(stack, new Map(run.resources.map((r) => [r.urn, this.digestOf(r)])));
    return changes;
  }

  async destroy(stack: string, _job: StackJob, _opts: RunStepOptions): Promise<Changes> {
    this.calls.push(`destroy ${stack}`);
    const current = this.open(stack);
    // the automation engine's destroy: everything but what deploy/destroy.ts keeps, excluded (`--exclude`)
    const keep = keptByDestroy(
      current.resources.map((r) => ({
        urn: r.urn,
        protect: r.protect,
        dependencies: r.dependsOn,
        ...(r.parentUrn ? { parent: r.parentUrn } : {}),
        ...(r.provider ? { provider: r.provider } : {}),
        ...(r.deletedWith ? { deletedWith: r.deletedWith } : {}),
      })),
    );
    const kept = current.resources.filter((r) => keep.has(r.urn));
    const deleted = current.resources.length - kept.length;
    current.resources = kept;
    current.outputs = {};
    return { delete: deleted, same: kept.length };
  }
}
