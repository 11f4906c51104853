/**
 * A real `up` converges on a world where things exist already (deploy/preflight.ts): the fake engine's providers
 * act on loopback Kubernetes API servers and a loopback Vault (test/helpers/engine.ts says which provider rules
 * they follow), the preflight looks them up through the real clients. Each case first shows the failure a run
 * without the preflight meets in that world (what `tenancy up` did before), then the run that converges.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type RunOptions, runLayers } from "../../deploy/run";
import type { PreflightClients, PreflightResult } from "../../deploy/preflight";
import { ExternalError, SafetyError } from "../../components/core/problems";
import type { RegistryModel } from "../../registry/model";
import { FAKE_MANAGER, FakeEngine } from "../helpers/engine";
import { type KubeServer, startKubeServer } from "../helpers/kube-server";
import { IdentityVault } from "../helpers/vault-identity-server";
import { exampleWithSharedCi } from "../plan/registries";

const NONE = { allowRemovals: false, allowHandover: false };
/** What `tenancy adopt` runs with (cli/deploy.ts): whatever exists is taken over, every cluster upserting. */
const ADOPT = { entities: {}, aliases: {}, kubernetes: { upsert: "all" as const } };

let servers: Record<string, KubeServer>;
let vault: IdentityVault;
let model: RegistryModel;
beforeEach(async () => {
  const base = exampleWithSharedCi();
  vault = await new IdentityVault(base.environment.oidc.vaultMountAccessor).listen();
  model = {
    ...base,
    environment: { ...base.environment, vault: { ...base.environment.vault, address: vault.address } },
  };
  // one API server per cluster, by the kubeconfig context its provider names
  servers = {};
  for (const c of model.environment.clusters) servers[c.context] = await startKubeServer();
});
afterEach(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()));
  await vault.close();
});

const world = () => ({ kubernetes: servers, vault });
const clients = (): PreflightClients => ({
  kubernetes: (cluster) =>
    servers[model.environment.clusters.find((c) => c.name === cluster)!.context]!.kubeConfig(),
  vault: { token: vault.token },
});
const main = () => servers["example-admin"]!;
/** A run with the preflight, keeping what it found. */
const converging = (extra: Partial<RunOptions> = {}) => {
  const found: PreflightResult[] = [];
  return {
    found,
    opts: { ...NONE, preflight: clients(), onPreflight: (r: PreflightResult) => found.push(r), ...extra },
  };
};

describe("a user who logged in to Vault before being onboarded", () => {
  it("fails the vault layer without the preflight; with it, the alias their login made is imported", async () => {
    const bob = model.tenants.find((t) => t.id === "bob")!;
    vault.logins.set(bob.email, { entity: "ent-login-bob", alias: "alias-login-bob" });

    const before = new FakeEngine(world());
    const error = await runLayers("up", model, before, { ...NONE, layers: ["platform", "vault"] }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as Error).message).toMatch(
      /^up of example-vault failed: .*bob-alias: error writing IdentityEntityAlias: entity alias with name bob@example\.com .* already exists \(applied: example-platform\)$/,
    );

    // a fresh world: the platform layer not applied yet
    for (const s of Object.values(servers)) await s.close();
    for (const c of model.environment.clusters) servers[c.context] = await startKubeServer();
    const engine = new FakeEngine(world());
    const { found, opts } = converging({ layers: ["platform", "vault"] });
    await runLayers("up", model, engine, opts);
    const alias = engine.stacks.get("example-vault")!.resources.find((r) => r.name === "bob-alias")!;
    expect(alias.importId).toBe("alias-login-bob");
    const entity = engine.stacks.get("example-vault")!.resources.find((r) => r.name === "bob-entity")!;
    expect(entity.importId).toBe("ent-login-bob");
    expect(found[0]!.findings.filter((f) => f.tenant === "bob")).toEqual([
      expect.objectContaining({
        stack: "example-vault",
        how: "import",
        detail: expect.stringMatching(/ent-login-bob/),
      }),
      expect.objectContaining({
        stack: "example-vault",
        how: "import",
        detail: expect.stringMatching(/alias-login-bob.*login/),
      }),
    ]);
    // the others had never logged in: nothing found, nothing imported
    expect(found[0]!.findings.filter((f) => f.tenant === "alice")).toEqual([]);
  });
});

describe("a Vault entity of the tenant's name that tenancy did not make", () => {
  it("is refused by an up (it may carry someone's groups and policies), imported by adopt", async () => {
    vault.entities.set("bob", "ent-someone");
    const { opts } = converging({ layers: ["platform", "vault"] });
    const engine = new FakeEngine(world());
    const error = await runLayers("up", model, engine, opts).catch((e: unknown) => e);
    expect((error as SafetyError).lines).toEqual([
      "example-vault: Entity bob: an entity named bob exists (id ent-someone) that tenancy did not make (its metadata lacks managed-by tenancy, tenant bob): it may carry someone else's groups and policies; rename it in Vault, or take it over with tenancy adopt",
    ]);
    expect(engine.calls).toEqual([]);
    const adopting = new FakeEngine(world());
    await runLayers(
      "up",
      model,
      adopting,
      converging({ layers: ["platform", "vault"], adoption: ADOPT }).opts,
    );
    const entity = adopting.stacks.get("example-vault")!.resources.find((r) => r.name === "bob-entity")!;
    expect(entity.importId).toBe("ent-someone");
  });
});

describe("Kubernetes objects that exist with other field managers", () => {
  const carol = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: "carol",
      labels: { "pod-security.kubernetes.io/enforce": "privileged", team: "carol" },
    },
  };

  it("a namespace made by hand: a create fails without the preflight; an up refuses it (not tenancy's) before any change; adopt takes over the fields tenancy sets", async () => {
    main().seed(carol, "kubectl-client-side-apply");
    const before = new FakeEngine(world());
    const error = await runLayers("up", model, before, { ...NONE, layers: ["platform"] }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/Namespace "carol" already exists/);

    // an up: the objects the failed run made before carol are tenancy's (its labels); carol is not
    const refusing = new FakeEngine(world());
    const refused = await runLayers("up", model, refusing, converging({ layers: ["platform"] }).opts).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(SafetyError);
    expect((refused as SafetyError).lines).toEqual([
      "example-platform: Namespace carol: exists and is not tenancy's (no app.kubernetes.io/managed-by=tenancy and tenancy.io/tenant=carol labels; managed by kubectl-client-side-apply): remove it, or take it over with tenancy adopt",
    ]);
    expect(refusing.calls).toEqual([]);

    // tenancy adopt: taken over
    const engine = new FakeEngine(world());
    const { found, opts } = converging({ layers: ["platform"], adoption: ADOPT });
    await runLayers("up", model, engine, opts);
    const others = found[0]!.findings.filter((f) => f.resource !== "Namespace carol");
    expect(others.length).toBeGreaterThan(0);
    for (const f of others)
      expect([f.how, f.detail]).toEqual([
        "in place",
        `exists (managed by ${FAKE_MANAGER}); updated in place`,
      ]);
    expect(found[0]!.findings.filter((f) => f.resource === "Namespace carol")).toEqual([
      {
        stack: "example-platform",
        resource: "Namespace carol",
        tenant: "carol",
        how: "take over",
        detail:
          "exists (managed by kubectl-client-side-apply); tenancy takes over .metadata.labels.pod-security.kubernetes.io/enforce (kubectl-client-side-apply)",
      },
    ]);
    const ns = main().get("v1", "Namespace", "carol")!;
    const labels = ns.metadata.labels as Record<string, string>;
    expect(labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    // what tenancy does not set stays, with its manager
    expect(labels.team).toBe("carol");
    const managers = (ns.metadata.managedFields as { manager: string }[]).map((m) => m.manager);
    expect(managers).toEqual(expect.arrayContaining([FAKE_MANAGER, "kubectl-client-side-apply"]));
    // adopting: every cluster's provider upserts
    const platform = engine.stacks.get("example-platform")!.resources;
    const providers = platform.filter((r) => r.type === "pulumi:providers:kubernetes");
    expect(providers.filter((p) => p.inputs.upsertExistingObjects).map((p) => p.inputs.context)).toEqual([
      "example-admin",
      "example-gpu-admin",
      "example-us-admin",
    ]);
    // the kinds tenancy takes over carry the provider's patchForce annotation, always; the others never
    const force = (r: (typeof platform)[number]) =>
      (r.inputs.metadata as { annotations?: Record<string, string> } | undefined)?.annotations?.[
        "pulumi.com/patchForce"
      ];
    for (const r of platform.filter(
      (x) => x.type.startsWith("kubernetes:") && !x.type.startsWith("kubernetes:core/v1:ConfigMap"),
    ))
      if (/:(Namespace|ResourceQuota|LimitRange|NetworkPolicy|Role|RoleBinding)$/.test(r.type))
        expect(force(r), r.urn).toBe("true");
    for (const r of platform.filter((x) =>
      /:(ConfigMap|ClusterRole|ValidatingAdmissionPolicy)$/.test(x.type),
    ))
      expect(force(r), r.urn).toBeUndefined();
  });

  it("tenancy's own namespace, left out of state (a lost run), is updated in place by an up, only on its cluster", async () => {
    const labels = { "app.kubernetes.io/managed-by": "tenancy", "tenancy.io/tenant": "carol" };
    main().seed({ ...carol, metadata: { name: "carol", labels } }, "pulumi-kubernetes-0a1b2c");
    const engine = new FakeEngine(world());
    const { found, opts } = converging({ layers: ["platform"] });
    await runLayers("up", model, engine, opts);
    expect(found[0]!.findings.map((f) => [f.resource, f.how])).toEqual([["Namespace carol", "in place"]]);
    const providers = engine.stacks
      .get("example-platform")!
      .resources.filter((r) => r.type === "pulumi:providers:kubernetes");
    expect(providers.filter((p) => p.inputs.upsertExistingObjects).map((p) => p.inputs.context)).toEqual([
      "example-admin",
    ]);
  });

  it("another tool's or an owned object is refused, even by adopt; a namespace of another tenant's label too", async () => {
    const labels = { "app.kubernetes.io/managed-by": "tenancy", "tenancy.io/tenant": "carol" };
    main().seed(
      {
        ...carol,
        metadata: { name: "carol", labels, annotations: { "meta.helm.sh/release-name": "team-carol" } },
      },
      "helm",
    );
    const { opts } = converging({ layers: ["platform"], adoption: ADOPT });
    await expect(runLayers("up", model, new FakeEngine(world()), opts)).rejects.toThrow(
      /Namespace carol: exists and belongs to a Helm release \(meta\.helm\.sh\/release-name: team-carol; managed by helm\)/,
    );
  });

  it("another manager's object of a kind tenancy does not take over is refused before anything changes", async () => {
    // a ConfigMap the platform layer would create, made by Helm with other data
    const probe = new FakeEngine();
    await runLayers("up", model, probe, { ...NONE, layers: ["platform"] });
    const mine = probe.stacks
      .get("example-platform")!
      .resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && r.inputs.metadata !== undefined)!;
    const meta = mine.inputs.metadata as { name: string; namespace: string };
    main().seed(
      { apiVersion: "v1", kind: "Namespace", metadata: { name: meta.namespace } },
      "kubectl-create",
    );
    // the same keys, other values (other keys would not conflict: each manager owns its own)
    const data = Object.fromEntries(
      Object.keys(mine.inputs.data as object).map((k) => [k, "someone else's"]),
    );
    main().seed({ apiVersion: "v1", kind: "ConfigMap", metadata: meta, data }, "helm");
    const engine = new FakeEngine(world());
    const { opts } = converging({ layers: ["platform"] });
    const error = await runLayers("up", model, engine, opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SafetyError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^nothing was changed: the preflight found what the update would fail on:\\nexample-platform: ConfigMap ${meta.namespace}/${meta.name}: exists \\(managed by helm\\), whose fields \\.data\\.\\S+ \\(helm\\), .*, \\d+ more hold other values: delete it or make it agree with the registry`,
      ),
    );
    expect(engine.calls).toEqual([]);
    expect(main().get("v1", "ConfigMap", meta.name, meta.namespace)!.data).toEqual(data);
  });

  it("a namespace labelled as another tenant's is refused", async () => {
    main().seed(
      { ...carol, metadata: { name: "carol", labels: { "tenancy.io/tenant": "mallory" } } },
      "kubectl",
    );
    const { opts } = converging({ layers: ["platform"] });
    await expect(runLayers("up", model, new FakeEngine(world()), opts)).rejects.toThrow(
      /Namespace carol: exists and belongs to tenant mallory/,
    );
  });
});

describe("an interrupted update", () => {
  it("is resumed: its pending create dropped, the object it made found and updated in place", async () => {
    const engine = new FakeEngine(world());
    engine.interrupt = { stack: "example-platform", type: "kubernetes:core/v1:Namespace" };
    await expect(runLayers("up", model, engine, { ...NONE, layers: ["platform"] })).rejects.toThrow(
      /interrupted/,
    );
    const state = await engine.state("example-platform");
    expect(state!.pending).toEqual([{ urn: expect.stringMatching(/Namespace::/), op: "creating" }]);
    const name = state!.pending[0]!.urn.split("::")
      .pop()!
      .replace(/-namespace$/, "");
    expect(main().get("v1", "Namespace", name)).toBeDefined();

    // without the preflight, the object the interrupted step made blocks the create
    const copy = new FakeEngine(world());
    for (const [k, v] of engine.stacks) copy.stacks.set(k, structuredClone(v));
    await expect(runLayers("up", model, copy, { ...NONE, layers: ["platform"] })).rejects.toThrow(
      /already exists/,
    );

    const { found, opts } = converging({ layers: ["platform"] });
    await runLayers("up", model, engine, opts);
    expect(engine.calls).toContain("drop pending creates example-platform");
    expect(found[0]!.findings).toEqual([
      expect.objectContaining({ resource: `Namespace ${name}`, how: "in place" }),
    ]);
    expect((await engine.state("example-platform"))!.pending).toEqual([]);
    // converged: every planned namespace exists, managed by the provider
    const again = converging({ layers: ["platform"] });
    await runLayers("up", model, engine, again.opts);
    expect(again.found[0]!.findings).toEqual([]);
  });

  it("a preview reports it and changes nothing", async () => {
    const engine = new FakeEngine(world());
    engine.interrupt = { stack: "example-platform", type: "kubernetes:core/v1:Namespace" };
    await expect(runLayers("up", model, engine, { ...NONE, layers: ["platform"] })).rejects.toThrow();
    const notices: string[] = [];
    const { opts } = converging({ layers: ["platform"], notice: (l) => notices.push(l) });
    const previewed = await runLayers("preview", model, engine, opts);
    expect(notices).toEqual([
      "example-platform: an interrupted update left 1 operation(s) pending; tenancy up resolves them",
    ]);
    expect(previewed.map((r) => r.status)).toEqual(["done"]);
    expect(engine.calls).not.toContain("drop pending creates example-platform");
    expect((await engine.state("example-platform"))!.pending).toHaveLength(1);
  });
});
