/**
 * A stack's job handed to the program in another process (ARCHITECTURE.md, "Converging"): `tenancy up` runs each
 * stack through the Pulumi CLI with Pulumi.yaml's program (stacks/direct.ts), not in its own process, so a failure
 * in one stack's program (the SDK turns a failed registration into an unhandled rejection, and its handlers are
 * process-wide: automation/server.js, runtime/resource.js) fails that stack alone. The program reads the registry
 * the run validated (not the source again, which may have changed since), what the run adopts, and the lease
 * holder it checks, from the file TENANCY_RUN names. Written private to the user; removed after the step.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Adoption } from "../layers/names";
import type { RegistryModel } from "../registry/model";

export const RUN_FILE_ENV = "TENANCY_RUN";

export interface RunFile {
  model: RegistryModel;
  adoption?: Adoption;
  /** The run's lease holder: the program refuses unless it still holds the environment's lease. */
  holder?: string;
}

/** Writes a job's file; returns its path and a function removing it. */
export function writeRunFile(job: RunFile): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "tenancy-run-"));
  const path = join(dir, "run.json");
  writeFileSync(path, JSON.stringify(job), { mode: 0o600 });
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function readRunFile(path: string): RunFile {
  const data = JSON.parse(readFileSync(path, "utf8")) as RunFile;
  if (!data || typeof data !== "object" || !data.model?.environment || !Array.isArray(data.model.tenants))
    throw new Error(`${path}: not a tenancy run file (${RUN_FILE_ENV})`);
  return data;
}
