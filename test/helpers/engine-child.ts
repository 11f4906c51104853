/**
 * One stack's program in a process of its own, as the Pulumi CLI runs Pulumi.yaml's program for `tenancy up`
 * (deploy/automation.ts): stacks/direct.ts with the job's run file (TENANCY_RUN), under the mock runtime. The
 * fake engine's isolated mode forks this per step; the answer goes back over IPC. `fail` makes the program's
 * process fail as the SDK fails a program whose registration failed: an unhandled rejection.
 */
import { type ProgramRun, revealSecrets, runProgram } from "../../plan/harness";
import { RUN_FILE_ENV } from "../../deploy/run-file";
import { program } from "../../stacks/direct";
import { kvReads } from "./vault-kv";

export interface ChildRequest {
  stack: string;
  runFile: string;
  dryRun: boolean;
  stackOutputs: Record<string, Record<string, unknown>>;
  /** The world's Vault KV secrets (vault-kv.ts kvReads). */
  kv?: Record<string, Record<string, string>>;
  /** Fail as a failed registration does: an unhandled rejection, after the program started registering. */
  fail?: string;
}

/** What the child answers: the run, and each resource's inputs as its provider receives them (secrets unwrapped). */
export interface ChildAnswer {
  ok: boolean;
  run?: ProgramRun;
  message?: string;
  inputs?: [string, Record<string, unknown>][];
}

process.once("message", (req: ChildRequest) => {
  process.env[RUN_FILE_ENV] = req.runFile;
  const invoke = req.kv ? { invoke: kvReads(req.kv) } : {};
  const inputs: [string, Record<string, unknown>][] = [];
  const observeInputs = (r: { urn: string }, i: Record<string, unknown>) =>
    void inputs.push([r.urn, revealSecrets(i) as Record<string, unknown>]);
  void runProgram(
    { stack: req.stack, stackOutputs: req.stackOutputs, dryRun: req.dryRun, observeInputs, ...invoke },
    async () => {
      const outputs = await program({ lease: async () => undefined });
      if (req.fail) void Promise.reject(new Error(req.fail));
      return outputs;
    },
  ).then(
    (run) => process.send!({ ok: true, run, inputs } satisfies ChildAnswer, () => process.exit(0)),
    (e: unknown) => process.send!({ ok: false, message: (e as Error).message }, () => process.exit(0)),
  );
});
