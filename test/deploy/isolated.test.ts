/**
 * Isolated runs: each stack's program runs in a process of its own, as `tenancy up` runs it through the Pulumi CLI
 * and Pulumi.yaml's program with a run file (deploy/automation.ts, deploy/run-file.ts). A program failing as a
 * failed registration fails (an unhandled rejection, which in one process fails every program running then)
 * fails its own stack and the layers after it; the independent stacks finish. And the program run that way
 * registers exactly what the same job registers in this process: the run file carries the registry whole.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { runLayers } from "../../deploy/run";
import { ExternalError } from "../../components/core/problems";
import type { RegistryModel } from "../../registry/model";
import { FakeEngine } from "../helpers/engine";
import { exampleWithSharedCi } from "../plan/registries";

const NONE = { allowRemovals: false, allowHandover: false };

let model: RegistryModel;
beforeAll(() => {
  model = exampleWithSharedCi();
});

describe("isolated runs", () => {
  it("one stack's failing program fails that stack and those after it; the others finish, as registered in one process", async () => {
    const isolated = new FakeEngine();
    isolated.isolated = { fail: ["example-dns"] };
    const error = await runLayers("up", model, isolated, { ...NONE, parallel: 4 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as Error).message).toMatch(
      /^up of example-dns failed: .*registration of example-dns failed/,
    );
    // dns has no dependants: every other stack was applied, platform at the same time as dns
    expect((error as Error).message).toMatch(
      /\(applied: example-platform, example-vault, example-ci, example-apps\)$/,
    );
    expect(isolated.calls.filter((c) => c.startsWith("up "))).toEqual(
      expect.arrayContaining(["up example-platform", "up example-dns", "up example-vault", "up example-ci"]),
    );
    expect(isolated.stacks.get("example-dns")!.resources).toEqual([]);

    // the same jobs in this process register the same resources and outputs
    const inProcess = new FakeEngine();
    await runLayers("up", model, inProcess, { ...NONE, layers: ["platform", "vault", "ci", "apps"] });
    for (const stack of ["example-platform", "example-vault", "example-ci", "example-apps"]) {
      const a = isolated.stacks.get(stack)!;
      const b = inProcess.stacks.get(stack)!;
      expect(a.resources.length, stack).toBeGreaterThan(0);
      expect(a.resources, stack).toEqual(b.resources);
      expect(a.outputs, stack).toEqual(b.outputs);
    }
  }, 180_000);
});
