/**
 * The real path, layer by layer, against a fake engine that reproduces the real engine's view (upstream
 * outputs as last applied, previews in dry-run mode, protect checked when a delete step runs, deletedWith):
 * day one, onboarding, removing a namespace, handing one over, destroy.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type StackJob, layerOrder, runLayers } from "../../deploy/run";
import { LAYER_DEPENDENCIES, LAYER_NAMES } from "../../layers/names";
import type { RegistryModel } from "../../registry/model";
import { ExternalError, SafetyError } from "../../components/core/problems";
import type { TenantFileInput } from "../../registry/schema";
import { LAYERS } from "../../stacks/layers";
import { EXAMPLE_TENANTS } from "../helpers/cli";
import { FakeEngine, deleteSteps } from "../helpers/engine";
import { registryOf } from "../plan/registries";

/** The example tenant files as data, for editing. */
function exampleTenants(): Record<string, TenantFileInput> {
  const dir = EXAMPLE_TENANTS;
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => [f.slice(0, -5), parse(readFileSync(join(dir, f), "utf8")) as TenantFileInput]),
  );
}

const registry = (edit: (t: Record<string, TenantFileInput>) => void = () => {}): RegistryModel => {
  const tenants = exampleTenants();
  edit(tenants);
  return registryOf(tenants);
};

const ERIN: TenantFileInput = {
  email: "erin@example.com",
  namespaces: ["erin", "erin-dev"],
  ci: { boundClaims: { repository_owner_id: "4242" } },
};
const NONE = { allowRemovals: false, allowHandover: false };
const STACKS = ["example-platform", "example-dns", "example-vault", "example-ci", "example-apps"];
/** `<type> <name>` of each URN (the last type of its chain), components (tenancy:*) left out, sorted. */
/**
 * The default cluster's kinds, after checking that the eu-gpu cluster (where alice-dev exists too, named
 * `eu-gpu:<name>`) has exactly the same.
 */
const onMain = (ks: string[]): string[] => {
  const [main, gpu] = [ks.filter((k) => !k.includes(" eu-gpu:")), ks.filter((k) => k.includes(" eu-gpu:"))];
  expect(gpu.map((k) => k.replace(" eu-gpu:", " "))).toEqual(main);
  return main;
};
const kinds = (urns: string[]) =>
  urns
    .map((u) => {
      const [type, name] = u.split("::").slice(-2) as [string, string];
      return `${type.split("$").pop()} ${name}`;
    })
    .filter((k) => !k.startsWith("tenancy:"))
    .sort();

let engine: FakeEngine;
beforeEach(() => {
  engine = new FakeEngine();
});

describe("running the layers", () => {
  it("the CLI's light list of layer names is the layers' own, in order; destroy runs in reverse", () => {
    expect(LAYERS.map((l) => l.name)).toEqual([...LAYER_NAMES]);
    expect(layerOrder("up").map((l) => l.name)).toEqual(["platform", "dns", "vault", "ci", "apps"]);
    expect(layerOrder("destroy").map((l) => l.name)).toEqual(["apps", "ci", "vault", "dns", "platform"]);
  });

  it("day one: the preview of every layer succeeds, marking what waits for an upstream layer", async () => {
    const summaries = await runLayers("preview", registry(), engine, NONE);
    expect(summaries.map((s) => s.stack)).toEqual(STACKS);
    expect(engine.calls).toEqual(STACKS.map((s) => `preview ${s}`));
    expect(engine.previewOutputs.get("example-vault")!.awaitingUpstream).toEqual([
      "namespace alice of tenant alice",
      "namespace alice-dev of tenant alice",
      "namespace bob-prod of tenant bob",
      "namespace bob-staging of tenant bob",
      "namespace carol of tenant carol",
    ]);
    expect(engine.previewOutputs.get("example-ci")!.awaitingUpstream).toEqual([
      "the deployers of tenant bob",
    ]);
    expect(engine.previewOutputs.get("example-apps")!.awaitingUpstream).toEqual([
      "namespace alice of tenant alice",
    ]);
  });

  it("day one: a stack that was never created cannot be referenced (the engine's `unknown stack`)", async () => {
    // previewing the vault layer alone, before the platform stack exists at all
    await expect(runLayers("preview", registry(), engine, { ...NONE, layers: ["vault"] })).rejects.toThrow(
      /unknown stack "organization\/tenancy\/example-platform"/,
    );
  });

  it("owner bindings wait for their namespaces; --refresh reaches every engine step", async () => {
    const seen: boolean[] = [];
    const refreshing = Object.assign(Object.create(engine) as FakeEngine, {
      preview: (stack: string, program: StackJob, o: { refresh: boolean }) => {
        seen.push(o.refresh);
        return engine.preview(stack, program, o);
      },
      up: (stack: string, program: StackJob, o: { refresh: boolean }) => {
        seen.push(o.refresh);
        return engine.up(stack, program, o);
      },
    });
    await runLayers("up", registry(), refreshing, { ...NONE, refresh: true });
    expect(seen).toEqual(Array(10).fill(true));
    const platform = engine.stacks.get("example-platform")!.resources;
    const ns = platform.find((r) => r.name === "alice-dev-namespace")!;
    const owner = platform.find((r) => r.name === "alice-dev-owner")!;
    expect(owner.dependsOn).toContain(ns.urn);
  });

  it("up previews every layer first, then applies each after its upstream layers; then nothing waits", async () => {
    const results = await runLayers("up", registry(), engine, NONE);
    expect(engine.calls.slice(0, 5)).toEqual(STACKS.map((s) => `preview ${s}`));
    const ups = engine.calls.slice(5);
    expect([...ups].sort()).toEqual(STACKS.map((s) => `up ${s}`).sort());
    const at = (s: string) => ups.indexOf(`up example-${s}`);
    for (const [layer, deps] of Object.entries(LAYER_DEPENDENCIES))
      for (const d of deps) expect(at(d), `${d} before ${layer}`).toBeLessThan(at(layer));
    expect(results.map((r) => [r.stack, r.phase, r.status])).toEqual(STACKS.map((s) => [s, "up", "done"]));
    expect(results.find((r) => r.stack === "example-platform")!.changes!.create).toBeGreaterThan(10);
    await runLayers("preview", registry(), engine, NONE);
    for (const s of ["example-vault", "example-ci", "example-apps"])
      expect(engine.previewOutputs.get(s)!.awaitingUpstream, s).toEqual([]);
  });

  it("onboarding: the preview of a change adding a tenant succeeds in every layer; up applies it", async () => {
    await runLayers("up", registry(), engine, NONE);
    const withErin = registry((t) => (t.erin = ERIN));
    await runLayers("preview", withErin, engine, NONE);
    expect(engine.previewOutputs.get("example-vault")!.awaitingUpstream).toEqual([
      "namespace erin of tenant erin",
      "namespace erin-dev of tenant erin",
    ]);
    expect(engine.previewOutputs.get("example-ci")!.awaitingUpstream).toEqual([
      "the deployers of tenant erin",
    ]);
    await runLayers("up", withErin, engine, NONE);
    const vault = engine.stacks.get("example-vault")!;
    expect((vault.outputs.tenants as Record<string, unknown>).erin).toEqual({
      policy: "tenant-erin",
      deployerRoles: ["erin-deployer", "erin-dev-deployer"],
    });
  });

  it("an update of a layer whose upstream lacks what it needs fails before registering anything, naming what is missing", async () => {
    await runLayers("up", registry(), engine, NONE);
    const withErin = registry((t) => (t.erin = ERIN));
    // the vault layer alone, before the platform layer has erin's namespaces: its preview passes, its update not
    const error = await runLayers("up", withErin, engine, { ...NONE, layers: ["vault"] }).catch((e) => e);
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as Error).message).toMatch(/^up of example-vault failed: /);
    expect((error as Error).message).toContain(
      "namespace erin of tenant erin is not in stack example-platform: run the example-platform layer first",
    );
    expect(engine.stacks.get("example-vault")!.resources.some((r) => r.name.startsWith("erin"))).toBe(false);
  });
});

describe("removing a namespace", () => {
  const withoutAliceDev = (offboarding = false) =>
    registry((t) => {
      const dev = (
        t.alice!.namespaces as { name: string; clusterSelector?: { matchLabels?: Record<string, string> } }[]
      )[1]!;
      t.alice!.namespaces = offboarding
        ? ["alice", { name: "alice-dev", clusterSelector: dev.clusterSelector, offboarding: true }]
        : ["alice"];
      t.alice!.members = [];
      // its grants are in alice-dev, on the GPU cluster alice-dev alone places alice on
      t.alice!.grants = [];
    });

  beforeEach(async () => {
    await runLayers("up", registry(), engine, NONE);
    engine.calls.length = 0;
  });

  it("without offboarding it first is refused before any change (the guard)", async () => {
    await expect(runLayers("up", withoutAliceDev(), engine, NONE)).rejects.toThrow(
      /^namespaces removed without offboarding first: alice-dev \(tenant alice\)/,
    );
    expect(engine.calls).toEqual([]);
  });

  it("with --allow-removals while protected, the previews find the refused deletes and nothing changes", async () => {
    const error = await runLayers("up", withoutAliceDev(), engine, { ...NONE, allowRemovals: true }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(SafetyError);
    expect((error as Error).message).toMatch(
      /^nothing was changed: the preview shows what the update would refuse:/,
    );
    expect(onMain(kinds(((error as Error).message.match(/urn:\S+/g) ?? []) as string[]))).toEqual([
      "kubernetes:core/v1:LimitRange alice-dev-limits",
      "kubernetes:core/v1:Namespace alice-dev-namespace",
      "kubernetes:core/v1:ResourceQuota alice-dev-quota",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy alice-dev-netpol/default-deny",
    ]);
    expect(engine.calls.filter((c) => c.startsWith("up "))).toEqual([]);
  });

  it("an update that bypasses the preview still strips no fence: they are protected with the namespace", async () => {
    const before = engine.stacks.get("example-platform")!.resources;
    const platform = LAYERS[0]!;
    const model = withoutAliceDev();
    await expect(
      engine.up(
        "example-platform",
        { layer: platform.name, input: { model, tenants: model.tenants } },
        {
          refresh: false,
        },
      ),
    ).rejects.toThrow(ExternalError);
    const steps = engine.lastDeletes.get("example-platform")!;
    const deletedKinds = kinds(steps.deleted);
    // what goes by itself is cluster-level access (on eu-gpu, where alice-dev alone placed alice, her cluster
    // binding), never a fence, an allowance or a binding inside the namespace
    expect(
      deletedKinds.filter((k) => !/^kubernetes:rbac\.authorization\.k8s\.io\/v1:ClusterRoleBinding /.test(k)),
    ).toEqual([]);
    // the allowances and the bindings inside leave the state with the namespace's (refused) delete, but
    // Kubernetes still has them: the tenant keeps its access to the namespace that stays
    const dropped = kinds(steps.droppedWith);
    expect(dropped.every((k) => /NetworkPolicy|ConfigMap|:RoleBinding /.test(k))).toBe(true);
    expect(dropped.some((k) => k.includes(":RoleBinding alice-dev-owner"))).toBe(true);
    expect(steps.refused.length).toBe(8);
    expect(before.length).toBeGreaterThan(0);
  });

  it("offboarded first, then removed: its policies go only with it", async () => {
    await runLayers("up", withoutAliceDev(true), engine, NONE);
    // phase one: access to alice-dev revoked, the namespace and its fences unprotected
    const platform = engine.stacks.get("example-platform")!.resources;
    const inAliceDev = platform.filter((r) => r.name.startsWith("alice-dev-"));
    expect(inAliceDev.filter((r) => r.protect)).toEqual([]);
    expect(inAliceDev.some((r) => r.name === "alice-dev-owner")).toBe(false);
    expect(
      engine.stacks.get("example-vault")!.resources.some((r) => r.name.startsWith("alice-dev-deployer")),
    ).toBe(false);
    // phase two: the namespace is deleted; everything inside goes with it, not before it
    await runLayers("up", withoutAliceDev(), engine, NONE);
    const steps = engine.lastDeletes.get("example-platform")!;
    // (alice's tier has no clusterReader: no cluster-level binding on eu-gpu to go with it)
    expect(kinds(steps.deleted).sort()).toEqual([
      "kubernetes:core/v1:Namespace alice-dev-namespace",
      "kubernetes:core/v1:Namespace eu-gpu:alice-dev-namespace",
    ]);
    expect(onMain(kinds(steps.droppedWith))).toEqual([
      "kubernetes:core/v1:ConfigMap alice-dev-admission",
      "kubernetes:core/v1:LimitRange alice-dev-limits",
      "kubernetes:core/v1:ResourceQuota alice-dev-quota",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy alice-dev-netpol/default-deny",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy alice-dev-netpol/dns-egress",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy alice-dev-netpol/extra-egress",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy alice-dev-netpol/extra-ingress",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy alice-dev-netpol/from-ingress-controller",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy alice-dev-netpol/same-tenant",
    ]);
  });
});

describe("handing a namespace over", () => {
  // dave offboarded, his file deleted; carol claims the namespace "dave" in the same change
  const handover = () =>
    registry((t) => {
      delete t.dave;
      t.carol!.namespaces = ["carol", "dave"];
    });

  beforeEach(async () => {
    await runLayers("up", registry(), engine, NONE);
    engine.calls.length = 0;
  });

  it("is refused (exit 3) before any change", async () => {
    await expect(runLayers("up", handover(), engine, NONE)).rejects.toThrow(
      /namespaces would pass to another tenant, with their data \(volumes, secrets\): dave \(dave -> carol\)/,
    );
    expect(engine.calls).toEqual([]);
  });

  it("with --allow-handover, per-namespace resources keep their URNs: updates, not create-then-delete", async () => {
    // give dave's namespace to carol while dave is still there, offboarding: the unprotected namespace moves
    await runLayers("up", handover(), engine, { ...NONE, allowHandover: true });
    const platform = engine.stacks.get("example-platform")!.resources;
    const ns = platform.find((r) => r.name === "dave-namespace")!;
    expect(ns.tenant).toBe("carol");
    expect(engine.lastDeletes.get("example-platform")!.deleted.filter((u) => u.includes("::dave-"))).toEqual(
      [],
    );
    // the owner binding in the handed-over namespace is carol's now, under the same URN
    const owner = platform.find((r) => r.name === "dave-owner")!;
    expect(owner.tenant).toBe("carol");
    expect(owner.urn).toMatch(
      /tenancy:k8s:TenantAccess\$kubernetes:rbac.authorization.k8s.io\/v1:RoleBinding::dave-owner$/,
    );
  });
});

describe("destroy", () => {
  it("needs --allow-removals (a safety refusal, exit 3)", async () => {
    await expect(runLayers("destroy", registry(), engine, NONE)).rejects.toThrow(SafetyError);
    expect(engine.calls).toEqual([]);
  });

  it("skips stacks that were never created or never updated, and keeps what is protected", async () => {
    const results = await runLayers("destroy", registry(), engine, { ...NONE, allowRemovals: true });
    // done, with no changes: nothing to destroy
    expect(results.map((r) => [r.stack, r.status, r.changes])).toEqual(
      [...STACKS].reverse().map((s) => [s, "done", undefined]),
    );
    expect(engine.calls).toEqual([]);
    await runLayers("up", registry(), engine, NONE);
    await runLayers("destroy", registry(), engine, { ...NONE, allowRemovals: true });
    const kept = engine.stacks.get("example-platform")!.resources;
    expect(kept.length).toBeGreaterThan(0);
    // what is protected, what lives inside it (deletedWith) and what those stand on (deploy/destroy.ts)
    const urns = new Set(kept.map((r) => r.urn));
    const alone = kept.filter(
      (r) =>
        r.custom &&
        !r.protect &&
        !(r.deletedWith && urns.has(r.deletedWith)) &&
        !r.type.startsWith("pulumi:providers:"),
    );
    expect(alone.map((r) => r.urn)).toEqual([]);
  });
});

describe("the fake engine's delete steps", () => {
  it("deletes dependents first, refuses protected ones, drops what goes with a deleted target", () => {
    const r = (urn: string, extra: Partial<import("../../plan/harness").RecordedResource> = {}) => ({
      urn,
      type: "t",
      name: urn,
      custom: true,
      protect: false,
      deleteBeforeReplace: false,
      aliases: [],
      dependsOn: [],
      inputs: {},
      ...extra,
    });
    const ns = r("ns", { protect: true });
    const fence = r("fence", { protect: true, dependsOn: ["ns"], deletedWith: "ns" });
    const allow = r("allow", { dependsOn: ["ns"], deletedWith: "ns" });
    const other = r("other");
    expect(deleteSteps([ns, fence, allow, other], [])).toEqual({
      refused: ["fence", "ns"],
      deleted: ["other"],
      droppedWith: ["allow"],
    });
    expect(deleteSteps([ns, fence, allow], [ns, fence])).toEqual({
      refused: [],
      deleted: ["allow"],
      droppedWith: [],
    });
  });
});
