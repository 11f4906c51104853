import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkRemovals } from "../../deploy/guard";
import { type Action, type StackEngine, layerOrder, runLayers } from "../../deploy/run";
import { loadRegistry } from "../../registry/load";
import { SafetyError } from "../../registry/problems";
import { LAYERS } from "../../stacks/layers";
import { LAYER_NAMES } from "../../layers/names";
import { ROOT } from "../helpers/cli";

const applied = (ids: string[], offboarding: string[] = []) =>
  ids.map((id) => ({ id, offboarding: offboarding.includes(id) }));

describe("the removal guard", () => {
  it("lets a first run and additions through", () => {
    expect(() => checkRemovals(undefined, ["a"], { allowRemovals: false })).not.toThrow();
    expect(() => checkRemovals(applied(["a"]), ["a", "b"], { allowRemovals: false })).not.toThrow();
  });

  it("refuses an empty registry when tenants are applied", () => {
    expect(() => checkRemovals(applied(["a", "b"]), [], { allowRemovals: false })).toThrow(
      new SafetyError(
        "the registry is empty but 2 tenants are applied; refusing to remove them all (is the source right?); re-run with --allow-removals if this is intended",
      ),
    );
  });

  it("refuses removing a tenant that was not offboarded first", () => {
    expect(() => checkRemovals(applied(["a", "b", "c"]), ["a"], { allowRemovals: false })).toThrow(
      /^tenants removed without offboarding first: b, c\. Removal is two-phase/,
    );
  });

  it("accepts removing offboarded tenants up to the threshold, refuses beyond it", () => {
    const ids = ["a", "b", "c", "d", "e"];
    expect(() =>
      checkRemovals(applied(ids, ["b", "c"]), ["a", "d", "e"], { allowRemovals: false }),
    ).not.toThrow();
    expect(() =>
      checkRemovals(applied(ids, ["b", "c", "d", "e"]), ["a"], { allowRemovals: false, maxRemovals: 3 }),
    ).toThrow(/^4 tenants would be removed \(b, c, d, e\), more than the 3 allowed at once/);
  });

  it("--allow-removals overrides every refusal", () => {
    expect(() => checkRemovals(applied(["a", "b"]), [], { allowRemovals: true })).not.toThrow();
  });
});

describe("running the layers", () => {
  const fakeEngine = (appliedTenants?: ReturnType<typeof applied>) => {
    const calls: string[] = [];
    const engine: StackEngine = {
      appliedTenants: async () => appliedTenants,
      run: async (action: Action, stack: string) => {
        calls.push(`${action} ${stack}`);
        return "ok";
      },
    };
    return { engine, calls };
  };
  const model = () =>
    loadRegistry({ env: "example", root: ROOT, source: { kind: "yaml", dir: join(ROOT, "tenants") } });

  it("the CLI's light list of layer names is the layers' own, in order", () => {
    expect(LAYERS.map((l) => l.name)).toEqual([...LAYER_NAMES]);
  });

  it("runs up in dependency order and destroy in reverse", async () => {
    expect(layerOrder("up").map((l) => l.name)).toEqual(["platform", "vault", "ci"]);
    expect(layerOrder("destroy").map((l) => l.name)).toEqual(["ci", "vault", "platform"]);
    const { engine, calls } = fakeEngine();
    await runLayers("up", await model(), engine, { allowRemovals: false });
    expect(calls).toEqual(["up example-platform", "up example-vault", "up example-ci"]);
  });

  it("stops before touching any stack when the guard refuses", async () => {
    const { engine, calls } = fakeEngine(applied(["alice", "bob", "carol", "dave", "erin"]));
    await expect(runLayers("up", await model(), engine, { allowRemovals: false })).rejects.toThrow(
      SafetyError,
    );
    expect(calls).toEqual([]);
  });

  it("destroy needs --allow-removals (a safety refusal, exit 3)", async () => {
    const { engine, calls } = fakeEngine();
    await expect(runLayers("destroy", await model(), engine, { allowRemovals: false })).rejects.toThrow(
      SafetyError,
    );
    expect(calls).toEqual([]);
  });
});
