/**
 * A `names` template change (issue 26, renames): the quota and limit range of every namespace get another
 * `metadata.name`, which Kubernetes cannot rename: pulumi-kubernetes replaces the object, and the engine refuses
 * to replace a resource protected in both its state and the program (test/helpers/engine.ts cites both). The
 * platform stack exports the templates it applied; the next run registers the fences they rename unprotected
 * for that update (policy/names.ts renamedObjects), so the engine replaces them, the new object first, and the
 * run after it protects them again. Run on the fake engine against loopback API servers, watching every
 * namespace's fences after every step that touches the world.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runLayers } from "../../deploy/run";
import { ExternalError } from "../../components/core/problems";
import type { RegistryModel } from "../../registry/model";
import { FakeEngine, type WorldStep } from "../helpers/engine";
import { type KubeServer, startKubeServer } from "../helpers/kube-server";
import { exampleEnvironmentData, exampleWithEnvironment } from "../plan/registries";

const NONE = { allowRemovals: false, allowHandover: false, layers: ["platform" as const] };
const STACK = "example-platform";

let servers: Record<string, KubeServer>;
let before: RegistryModel;
let after: RegistryModel;
beforeEach(async () => {
  before = exampleWithEnvironment(exampleEnvironmentData());
  const env = exampleEnvironmentData();
  env.names = { ...env.names, quota: "{namespace}-quota", limits: "{namespace}-limits" };
  after = exampleWithEnvironment(env);
  servers = {};
  for (const c of before.environment.clusters) servers[c.context] = await startKubeServer();
});
afterEach(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()));
});

const world = () => ({ kubernetes: servers });
const fences = (type: string) => (engine: FakeEngine) =>
  engine.stacks.get(STACK)!.resources.filter((r) => r.type === type);
const quotas = fences("kubernetes:core/v1:ResourceQuota");
const limitRanges = fences("kubernetes:core/v1:LimitRange");
const name = (r: { inputs: Record<string, unknown> }) => (r.inputs.metadata as { name: string }).name;
const namespaceOf = (r: { inputs: Record<string, unknown> }) =>
  (r.inputs.metadata as { namespace: string }).namespace;
/** The namespaces phase one of removal unprotected (their fences too). */
const offboarding = (model: RegistryModel) =>
  new Set(
    model.tenants.flatMap((t) =>
      t.namespaces.filter((ns) => t.offboarding || ns.offboarding).map((ns) => ns.name),
    ),
  );

/** Every tenant namespace on every cluster: its ResourceQuotas, LimitRanges and whether default-deny is there. */
function fencing() {
  const out: { cluster: string; namespace: string; quotas: number; limits: number; deny: boolean }[] = [];
  for (const [cluster, server] of Object.entries(servers)) {
    const inNs = (kind: string, apiVersion: string, ns: string) =>
      server.list(apiVersion, kind).filter((o) => o.metadata.namespace === ns);
    for (const ns of server.list("v1", "Namespace")) {
      const labels = (ns.metadata.labels ?? {}) as Record<string, string>;
      if (!labels["tenancy.io/tenant"]) continue;
      const n = ns.metadata.name;
      out.push({
        cluster,
        namespace: n,
        quotas: inNs("ResourceQuota", "v1", n).length,
        limits: inNs("LimitRange", "v1", n).length,
        deny: inNs("NetworkPolicy", "networking.k8s.io/v1", n).some(
          (p) => p.metadata.name === "tenancy-default-deny",
        ),
      });
    }
  }
  return out;
}

describe("a names template change", () => {
  it("replaces no protected resource: the fences are made under their new names before the old ones go, and protected again by the next run", async () => {
    const engine = new FakeEngine(world());
    await runLayers("up", before, engine, NONE);
    expect(engine.stacks.get(STACK)!.outputs.names).toMatchObject({
      quota: "tenant-quota",
      limits: "tenant-limits",
    });
    const n = quotas(engine).length;
    expect(n).toBeGreaterThan(0);
    expect(quotas(engine).every((r) => name(r) === "tenant-quota")).toBe(true);
    expect(quotas(engine).filter((r) => r.protect).length).toBeGreaterThan(0);
    const start = fencing();
    expect(start.length).toBeGreaterThan(0);

    // between any two steps of the renaming run, every namespace keeps a quota, a limit range and default-deny
    const steps: WorldStep[] = [];
    const gaps: string[] = [];
    engine.onStep = (step) => {
      steps.push(step);
      for (const f of fencing())
        if (f.quotas === 0 || f.limits === 0 || !f.deny)
          gaps.push(`${step.op} ${step.name}: ${f.cluster}/${f.namespace} ${JSON.stringify(f)}`);
    };
    const changes = await runLayers("up", after, engine, NONE);
    expect(gaps).toEqual([]);
    expect(changes).toBeDefined();
    // each fence replaced, the new object made before the old one deleted; nothing else deleted
    for (const r of [...quotas(engine), ...limitRanges(engine)]) {
      const made = steps.findIndex((s) => s.urn === r.urn && s.op === "create-replacement");
      const gone = steps.findIndex((s) => s.urn === r.urn && s.op === "delete-replaced");
      expect(made).toBeGreaterThanOrEqual(0);
      expect(gone).toBeGreaterThan(made);
    }
    expect(steps.filter((s) => s.op === "delete-replaced")).toHaveLength(2 * n);
    expect(engine.lastDeletes.get(STACK)).toEqual({ refused: [], deleted: [], droppedWith: [] });

    // the objects under their new names, the old ones gone
    for (const server of Object.values(servers)) {
      const names = server.list("v1", "ResourceQuota").map((o) => o.metadata.name);
      expect(names.some((x) => x === "tenant-quota")).toBe(false);
      for (const o of server.list("v1", "ResourceQuota"))
        expect(o.metadata.name).toBe(`${o.metadata.namespace}-quota`);
      for (const o of server.list("v1", "LimitRange"))
        expect(o.metadata.name).toBe(`${o.metadata.namespace}-limits`);
    }
    expect(fencing().map(({ cluster, namespace }) => `${cluster}/${namespace}`)).toEqual(
      start.map(({ cluster, namespace }) => `${cluster}/${namespace}`),
    );
    // released for that one update; the namespace itself stayed protected
    expect(quotas(engine).every((r) => !r.protect)).toBe(true);
    expect(
      engine.stacks
        .get(STACK)!
        .resources.filter((r) => r.type === "kubernetes:core/v1:Namespace")
        .some((r) => r.protect),
    ).toBe(true);
    expect(engine.stacks.get(STACK)!.outputs.names).toMatchObject({ quota: "{namespace}-quota" });

    // the next run: nothing renamed, the fences protected again, the world untouched
    steps.length = 0;
    await runLayers("up", after, engine, NONE);
    expect(steps).toEqual([]);
    const protectedNow = [...quotas(engine), ...limitRanges(engine)];
    expect(protectedNow.filter((r) => r.protect).length).toBeGreaterThan(0);
    for (const r of protectedNow) expect(r.protect).toBe(!offboarding(after).has(namespaceOf(r)));
  });

  it("control: a stack whose outputs do not say what it applied (applied before it exported `names`) is refused the replace, as the engine refuses it", async () => {
    const engine = new FakeEngine(world());
    await runLayers("up", before, engine, NONE);
    delete engine.stacks.get(STACK)!.outputs.names;
    const error = await runLayers("up", after, engine, NONE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as Error).message).toMatch(
      /^preview of example-platform failed: unable to replace resource ".*(ResourceQuota|LimitRange)::[^"]*"\nas it is currently marked for protection/,
    );
    // nothing changed: the preview stopped the run before any update
    expect(engine.calls.filter((c) => c.startsWith("up "))).toEqual(["up example-platform"]);
    for (const server of Object.values(servers))
      for (const o of server.list("v1", "ResourceQuota")) expect(o.metadata.name).toBe("tenant-quota");
  });
});

describe("the fake engine's replace rule (step_generator.go)", () => {
  it("an update replacing a protected resource stops there, the world as it was", async () => {
    const engine = new FakeEngine(world());
    await runLayers("up", before, engine, NONE);
    delete engine.stacks.get(STACK)!.outputs.names;
    // past the preview (as `pulumi up --skip-preview` would be): the update itself bails
    const job = { layer: "platform" as const, input: { model: after, tenants: after.tenants } };
    const error = await engine.up(STACK, job, { refresh: false }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^up of example-platform failed: unable to replace resource/);
    for (const server of Object.values(servers))
      for (const o of server.list("v1", "ResourceQuota")) expect(o.metadata.name).toBe("tenant-quota");
  });
});
