/**
 * Destroy keeps what stays (ARCHITECTURE.md, "Safety"; deploy/destroy.ts): a namespace a destroy keeps (protected:
 * it holds data) keeps everything that lives in it, its allowances first, so the pods still running there keep
 * their DNS, their ingress and their tenant's other namespaces. Against the fake engine, whose destroy is the
 * automation engine's (what deploy/destroy.ts keeps, excluded from the engine's destroy).
 */
import { describe, expect, it } from "vitest";
import { keptByDestroy } from "../../deploy/destroy";
import { runLayers } from "../../deploy/run";
import type { RecordedResource } from "../../plan/harness";
import { FakeEngine } from "../helpers/engine";
import { loadExample } from "../plan/registries";

const NONE = { allowRemovals: false, allowHandover: false };
const metadata = (r: RecordedResource) => r.inputs.metadata as { name: string; namespace?: string };
const show = (r: RecordedResource) =>
  `${String(r.inputs.kind)} ${metadata(r).namespace ?? ""}/${metadata(r).name} (${r.name})`;

/** What lived in each kept namespace before the destroy, and is gone after it. */
function stripped(before: RecordedResource[], after: RecordedResource[]): string[] {
  const left = new Set(after.map((r) => r.urn));
  const keptNamespaces = after.filter((r) => r.type === "kubernetes:core/v1:Namespace");
  return before
    .filter((r) => keptNamespaces.some((ns) => r.deletedWith === ns.urn) && !left.has(r.urn))
    .map(show);
}

describe("destroy keeps what stays", () => {
  it("destroying the apps layer leaves the kept namespaces' allowances", async () => {
    const model = await loadExample();
    const engine = new FakeEngine();
    await runLayers("up", model, engine, NONE);
    const before = [...engine.stacks.get("example-apps")!.resources];
    // the example runs actual-budget shared: its namespace (protected) and its allowances are the apps layer's
    const allowances = before.filter(
      (r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && !r.protect,
    );
    expect(allowances.map((r) => `${metadata(r).namespace}/${metadata(r).name}`).sort()).toEqual([
      "actual-budget/tenancy-dns-egress",
      "actual-budget/tenancy-from-ingress-controller",
    ]);

    await runLayers("destroy", model, engine, { ...NONE, allowRemovals: true, layers: ["apps"] });
    const after = engine.stacks.get("example-apps")!.resources;
    expect(
      after.filter((r) => r.type === "kubernetes:core/v1:Namespace").map((r) => metadata(r).name),
    ).toEqual(["actual-budget"]);
    expect(stripped(before, after)).toEqual([]);
    for (const a of allowances) expect(after.map((r) => r.urn)).toContain(a.urn);
    // what does not live in a kept namespace's keeping goes: the instances' workloads; their volumes stay
    const kinds = new Set(after.map((r) => String(r.inputs.kind)));
    expect(kinds.has("Deployment") || kinds.has("Ingress") || kinds.has("Service")).toBe(false);
    expect(after.some((r) => r.inputs.kind === "PersistentVolumeClaim")).toBe(true);
  });

  it("destroying every layer leaves each kept tenant namespace its allowances, bindings and parameters", async () => {
    const model = await loadExample();
    const engine = new FakeEngine();
    await runLayers("up", model, engine, NONE);
    const before = [...engine.stacks.get("example-platform")!.resources];
    await runLayers("destroy", model, engine, { ...NONE, allowRemovals: true });
    const after = engine.stacks.get("example-platform")!.resources;
    expect(after.filter((r) => r.type === "kubernetes:core/v1:Namespace").length).toBeGreaterThan(0);
    expect(stripped(before, after)).toEqual([]);
    const kept = new Set(after.map((r) => r.inputs.kind));
    for (const k of ["NetworkPolicy", "RoleBinding", "ConfigMap"]) expect(kept).toContain(k);
    // the shared objects go: the cluster roles, the admission policies, the tenants' cluster bindings
    for (const k of ["ClusterRole", "ClusterRoleBinding", "ValidatingAdmissionPolicy"])
      expect(kept).not.toContain(k);
  });
});

describe("keptByDestroy", () => {
  const r = (urn: string, extra: object = {}) => ({ urn, ...extra });
  it("keeps the protected, what is deleted with what is kept, and what those stand on", () => {
    const resources = [
      r("stack"),
      r("provider"),
      r("component", { parent: "stack" }),
      r("ns", { parent: "component", provider: "provider::id", protect: true }),
      r("fence", { parent: "component", protect: true, deletedWith: "ns", dependencies: ["ns"] }),
      r("allowance", { parent: "component", deletedWith: "ns", dependencies: ["ns"] }),
      r("binding", { parent: "access", deletedWith: "ns" }),
      r("access", { parent: "stack", dependencies: ["component"] }),
      r("cluster-binding", { parent: "access" }),
      r("other", { parent: "stack" }),
    ];
    expect([...keptByDestroy(resources)].sort()).toEqual(
      ["access", "allowance", "binding", "component", "fence", "ns", "provider", "stack"].sort(),
    );
    // with nothing protected, nothing is kept
    expect(keptByDestroy(resources.map((x) => ({ ...x, protect: false }))).size).toBe(0);
  });
});
