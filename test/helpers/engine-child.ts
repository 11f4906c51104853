/**
 * One stack's program in a process of its own, as the Pulumi CLI runs Pulumi.yaml's program for `tenancy up`
 * (deploy/automation.ts): stacks/direct.ts with the job's run file (TENANCY_RUN), under the mock runtime. The
 * fake engine's isolated mode forks this per step; the answer goes back over IPC. `fail` makes the program's
 * process fail as the SDK fails a program whose registration failed: an unhandled rejection.
 */
import { runProgram } from "../../plan/harness";
import { RUN_FILE_ENV } from "../../deploy/run-file";
import { program } from "../../stacks/direct";

export interface ChildRequest {
  stack: string;
  runFile: string;
  dryRun: boolean;
  stackOutputs: Record<string, Record<string, unknown>>;
  /** Fail as a failed registration does: an unhandled rejection, after the program started registering. */
  fail?: string;
}

process.once("message", (req: ChildRequest) => {
  process.env[RUN_FILE_ENV] = req.runFile;
  void runProgram({ stack: req.stack, stackOutputs: req.stackOutputs, dryRun: req.dryRun }, async () => {
    const outputs = await program({ lease: async () => undefined });
    if (req.fail) void Promise.reject(new Error(req.fail));
    return outputs;
  }).then(
    (run) => process.send!({ ok: true, run }, () => process.exit(0)),
    (e: unknown) => process.send!({ ok: false, message: (e as Error).message }, () => process.exit(0)),
  );
});
