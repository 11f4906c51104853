/**
 * Shared objects (issue 28, item 2; docs/shared-objects.md): a registry pull secret declared on a tier lands in
 * every active namespace of every tenant of that tier, on every cluster the namespace exists on, labelled as the
 * platform's; its value, read from a fake Vault KV at apply time, never appears in `plan` (text, --json), `diff`
 * (text, json, markdown) or the portal, and is registered secret; removing the declaration removes its copies and
 * nothing else; tenants cannot change or delete the copies (the platformObjects admission policy).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mountedClusters } from "../../../deploy/operator";
import { PROJECT } from "../../../layers/identity";
import { layerStacks } from "../../../layers/shards";
import { accessMatrix } from "../../../plan/access";
import { compareRegistries, formatDiff, formatDiffMarkdown } from "../../../plan/diff";
import { MOCK_ORGANIZATION, runProgram } from "../../../plan/harness";
import { type Plan, buildPlan, formatPlanTree } from "../../../plan/plan";
import { buildSite } from "../../../portal/site";
import type { RegistryModel } from "../../../registry/model";
import { LAYERS } from "../../../stacks/layers";
import { pulumiProgram } from "../../../stacks/registrar";
import { admit, clusterOf, request } from "../../helpers/admission";
import { validateK8sObject } from "../../helpers/k8s-schema";
import { VaultServer } from "../../helpers/vault-server";
import {
  MARKER,
  PULL_PATH,
  PULL_SECRET,
  PULL_SECRET_VALUE,
  TENANTS,
  environment,
  registry,
  withTierObjects,
} from "./fixtures";

const SECRET_TYPE = "kubernetes:core/v1:Secret";
const all = (plan: Plan) => plan.stacks.flatMap((s) => s.resources.map((r) => ({ ...r, stack: s.stack })));
const regcreds = (plan: Plan) =>
  all(plan).filter(
    (r) => r.type === SECRET_TYPE && (r.inputs.metadata as { name: string }).name === "regcred",
  );
/** `<cluster> <namespace>` of each planned copy. */
const placements = (plan: Plan) =>
  regcreds(plan)
    .map((r) => `${r.cluster} ${(r.inputs.metadata as { namespace: string }).namespace}`)
    .sort();

/** Every (cluster, namespace) of the model's tenants of tier `tier` that keep access. */
function expectedPlacements(model: RegistryModel, tier: string): string[] {
  return model.tenants
    .filter((t) => t.tier === tier && !t.offboarding)
    .flatMap((t) =>
      t.namespaces.filter((n) => !n.offboarding).flatMap((n) => n.clusters.map((c) => `${c} ${n.name}`)),
    )
    .sort();
}

let withSecret: RegistryModel;
let without: RegistryModel;
let plan: Plan;
let planWithout: Plan;

beforeAll(async () => {
  withSecret = registry();
  without = registry(environment());
  plan = await buildPlan(withSecret, LAYERS);
  planWithout = await buildPlan(without, LAYERS);
}, 120_000);

describe("a pull secret declared on a tier", () => {
  it("lands in every namespace of every tenant of the tier, on every cluster it exists on", () => {
    const expected = expectedPlacements(withSecret, "team");
    // the fixture spans three clusters and both tenants of the tier; cy (tier standard) gets none
    expect(expected).toEqual([
      "eu-gpu ann-api",
      "eu-gpu ann-web",
      "main ann-api",
      "main ann-web",
      "main ben",
      "us-east ben-us",
    ]);
    expect(placements(plan)).toEqual(expected);
    // control: no declaration, no copy
    expect(placements(planWithout)).toEqual([]);
  });

  it("leaves an offboarding tenant's and an offboarding namespace's (phase one, with their access)", async () => {
    const tenants = {
      ...TENANTS,
      ann: { ...TENANTS.ann, offboarding: true },
      ben: {
        ...TENANTS.ben,
        namespaces: [
          "ben",
          { name: "ben-us", offboarding: true, clusterSelector: { matchLabels: { region: "us-east" } } },
        ],
      },
    } as typeof TENANTS;
    const p = await buildPlan(registry(withTierObjects(), tenants), LAYERS);
    expect(placements(p)).toEqual(["main ben"]);
  });

  it("is the platform's: labelled managed-by tenancy and the tenant, owned by the tenant, in the vault layer", () => {
    for (const r of regcreds(plan)) {
      const meta = r.inputs.metadata as { labels: Record<string, string>; namespace: string };
      expect(meta.labels).toEqual({
        "app.kubernetes.io/managed-by": "tenancy",
        "tenancy.io/tenant": r.tenant,
      });
      expect(meta.namespace.startsWith(r.tenant!)).toBe(true);
      expect(r.stack).toBe("example-vault");
      expect(r.inputs.type).toBe("kubernetes.io/dockerconfigjson");
      expect(r.inputs.data).toBe("[secret]");
      expect(r.protect).toBe(false);
    }
  });

  it("changes nothing else: the plan without it is the plan with it minus its copies (and the providers of their clusters in the vault stack)", () => {
    const key = (r: { stack: string; type: string; name: string }) => `${r.stack} ${r.type} ${r.name}`;
    const before = new Map(all(planWithout).map((r) => [key(r), r]));
    const added = all(plan).filter((r) => !before.has(key(r)));
    expect(added.map((r) => `${r.stack} ${r.type} ${r.cluster}`).sort()).toEqual(
      [
        ...Array(4).fill(`example-vault ${SECRET_TYPE} main`).slice(0, 3),
        `example-vault ${SECRET_TYPE} eu-gpu`,
        `example-vault ${SECRET_TYPE} eu-gpu`,
        `example-vault ${SECRET_TYPE} us-east`,
        // the vault stack writes on the clusters other than the default now: their providers join it
        "example-vault pulumi:providers:kubernetes eu-gpu",
        "example-vault pulumi:providers:kubernetes us-east",
      ].sort(),
    );
    for (const r of all(plan).filter((r) => before.has(key(r)))) expect(r).toEqual(before.get(key(r)));
  });

  it("validates against the Kubernetes schema (every shared kind)", async () => {
    const kinds = withTierObjects([
      PULL_SECRET,
      { kind: "ConfigMap", name: "ca-bundle", data: { "ca.crt": "-----BEGIN CERTIFICATE-----" } },
      {
        kind: "NetworkPolicy",
        name: "allow-prometheus",
        spec: {
          podSelector: {},
          policyTypes: ["Ingress"],
          ingress: [
            {
              from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }],
              ports: [{ port: 9090, protocol: "TCP" }],
            },
          ],
        },
      },
      {
        kind: "LimitRange",
        name: "pvc-size",
        spec: { limits: [{ type: "PersistentVolumeClaim", max: { storage: "50Gi" } }] },
      },
    ]);
    const p = await buildPlan(registry(kinds), LAYERS);
    const shared = all(p).filter((r) => r.parentType === "tenancy:shared:TenantSharedObjects");
    expect(new Set(shared.map((r) => r.inputs.kind))).toEqual(
      new Set(["Secret", "ConfigMap", "NetworkPolicy", "LimitRange"]),
    );
    for (const r of shared) {
      // a secret's data is "[secret]" in a plan: validated with the shape the API receives
      const object =
        r.inputs.data === "[secret]" ? { ...r.inputs, data: { ".dockerconfigjson": "e30=" } } : r.inputs;
      expect(() => validateK8sObject(object), r.name).not.toThrow();
    }
  });
});

describe("the operator's workspaces", () => {
  it("mount the kubeconfig of every other cluster the vault stacks' shared objects are on (and none without)", () => {
    const vaultProviders = (p: Plan) =>
      all(p)
        .filter(
          (r) =>
            r.stack === "example-vault" && r.type === "pulumi:providers:kubernetes" && r.cluster !== "main",
        )
        .map((r) => r.cluster)
        .sort();
    expect(mountedClusters(withSecret, "vault")).toEqual(vaultProviders(plan));
    expect(mountedClusters(withSecret, "vault")).toEqual(["eu-gpu", "us-east"]);
    expect(mountedClusters(without, "vault")).toEqual(vaultProviders(planWithout));
    expect(mountedClusters(without, "vault")).toEqual([]);
  });
});

describe("the value never shown", () => {
  /** Whether the marker (or its base64) is anywhere in `text`. */
  const leaks = (text: string) =>
    text.includes(MARKER) || text.includes(Buffer.from(PULL_SECRET_VALUE).toString("base64"));

  async function outputs(base: RegistryModel, head: RegistryModel): Promise<Record<string, string>> {
    const p = await buildPlan(head, LAYERS);
    const diff = await compareRegistries(base, head, LAYERS);
    const site = buildSite(head, p, accessMatrix(head, p), {
      environment: "example",
      commit: "0123456789abcdef0123456789abcdef01234567",
      uncommitted: false,
    });
    return {
      "plan text": formatPlanTree(p),
      "plan --json": JSON.stringify(p),
      "diff text": formatDiff(diff, "diff"),
      "diff --json": JSON.stringify(diff),
      "diff markdown": formatDiffMarkdown(diff, "main", "example"),
      portal: [...site.values()].join("\n"),
    };
  }

  it("in plan (text, --json), diff (text, json, markdown) and the portal", async () => {
    const out = await outputs(without, withSecret);
    // the diff does show the copies being added
    expect(out["diff text"]).toContain("regcred");
    for (const [what, text] of Object.entries(out)) expect(leaks(text), what).toBe(false);
  });

  it("control: the same value inline in a ConfigMap is seen by every one of these checks", async () => {
    const configMap = (value: string) =>
      registry(withTierObjects([{ kind: "ConfigMap", name: "leaky", data: { config: value } }]));
    // a change: the diff shows the changed input, old -> new
    const out = await outputs(configMap("{}"), configMap(PULL_SECRET_VALUE));
    // the plan's text and the portal show no object's data at all, a ConfigMap's neither
    for (const [what, text] of Object.entries(out))
      expect(leaks(text), what).toBe(what !== "plan text" && what !== "portal");
  });
});

describe("applied through the registrar, read from a fake Vault KV", () => {
  const TOKEN = "root-token";
  let vault: VaultServer;

  beforeAll(async () => {
    vault = await new VaultServer({
      token: TOKEN,
      secrets: { [PULL_PATH]: { dockerconfigjson: PULL_SECRET_VALUE } },
    }).listen();
  });
  afterAll(() => vault.close());

  /**
   * Vault's KV read as the provider makes it (GET <mount>/data/<name>, the token in X-Vault-Token), its answer's
   * `data` as the provider returns it: strings, any other value JSON-encoded.
   */
  const invoke = async (r: { token: string; inputs: Record<string, unknown> }) => {
    if (r.token !== "vault:kv/getSecretV2:getSecretV2") return undefined;
    const res = await fetch(`${vault.url}/v1/${String(r.inputs.mount)}/data/${String(r.inputs.name)}`, {
      headers: { "X-Vault-Token": TOKEN },
    });
    if (!res.ok) throw new Error(`Vault answered ${res.status}`);
    const body = (await res.json()) as { data: { data: Record<string, unknown> } };
    const data = Object.fromEntries(
      Object.entries(body.data.data).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    );
    return { ...r.inputs, data };
  };

  /** The vault stack registered under the mock runtime, the platform stack's planned outputs upstream. */
  async function registerVaultStack(model: RegistryModel, dryRun = false) {
    const platform = layerStacks(model, "platform", model.tenants)[0]!;
    const vaultPart = layerStacks(model, "vault", model.tenants)[0]!;
    const planned = await buildPlan(model, LAYERS);
    const platformOutputs = planned.stacks.find((s) => s.stack === platform.name)!.outputs;
    const seen = new Map<string, Record<string, unknown>>();
    const layer = LAYERS.find((l) => l.name === "vault")!;
    const run = await runProgram(
      {
        stack: vaultPart.name,
        stackOutputs: { [`${MOCK_ORGANIZATION}/${PROJECT}/${platform.name}`]: platformOutputs },
        dryRun,
        invoke,
        observeInputs: (r, inputs) => {
          if (r.type === SECRET_TYPE) seen.set(r.name, inputs);
        },
      },
      pulumiProgram(layer, { model, tenants: vaultPart.tenants, part: vaultPart.part }),
    );
    return { run, seen };
  }

  it("reads the KV secret, writes its value into each copy's data, and registers it secret", async () => {
    const { run, seen } = await registerVaultStack(withSecret);
    const copies = run.resources.filter((r) => r.type === SECRET_TYPE);
    expect(copies).toHaveLength(6);
    for (const r of copies) {
      // what the state records: secret
      expect(r.inputs.data).toBe("[secret]");
      expect(JSON.stringify(r.inputs)).not.toContain(MARKER);
      // what the provider receives: the value, in Pulumi's secret wire form
      const data = seen.get(r.name)!.data as Record<string, unknown>;
      expect(data["4dabf18193072939515e22adb298388d"]).toBe("1b47061264138c4ac30d75fd1eb44270");
      expect(data.value).toEqual({ ".dockerconfigjson": Buffer.from(PULL_SECRET_VALUE).toString("base64") });
    }
    // read from the fake Vault: once per KV secret, not once per copy
    const reads = vault.requests.filter((q) => q.path === `secret/data/${PULL_PATH}`);
    expect(reads.length).toBeGreaterThanOrEqual(1);
    expect(reads.length).toBeLessThan(6);
  }, 60_000);

  it("refuses a hostile answer, naming the path and field and never the value", async () => {
    vault.setSecret(PULL_PATH, { dockerconfigjson: `not json ${MARKER}` });
    try {
      await expect(registerVaultStack(withSecret)).rejects.toThrow(
        `Vault KV secret secret/data/${PULL_PATH}: field "dockerconfigjson" is not a JSON object (a dockerconfigjson)`,
      );
      vault.setSecret(PULL_PATH, { other: MARKER });
      const failure = await registerVaultStack(withSecret).then(
        () => undefined,
        (e: unknown) => String(e),
      );
      expect(failure).toContain(`Vault KV secret secret/data/${PULL_PATH}: has no field "dockerconfigjson"`);
      expect(failure).not.toContain(MARKER);
    } finally {
      vault.setSecret(PULL_PATH, { dockerconfigjson: PULL_SECRET_VALUE });
    }
  }, 60_000);
});

describe("a changed declaration", () => {
  it("is a change of every copy in diff: its source (path and keys) is shown, its value never", async () => {
    const moved = registry(
      withTierObjects([{ ...PULL_SECRET, vault: { ...PULL_SECRET.vault, path: "platform/registry-2" } }]),
    );
    const diff = await compareRegistries(withSecret, moved, LAYERS, { full: true });
    expect(diff.resources.map((c) => `${c.op} ${c.name}`).sort()).toEqual(
      regcreds(plan)
        .map((r) => `change ${r.name}`)
        .sort(),
    );
    for (const c of diff.resources)
      expect(c.changes).toEqual([
        {
          path: "metadata.annotations.tenancy.io/vault-kv",
          old: JSON.stringify({ path: `secret/data/${PULL_PATH}`, keys: PULL_SECRET.vault.keys }),
          new: JSON.stringify({ path: "secret/data/platform/registry-2", keys: PULL_SECRET.vault.keys }),
        },
      ]);
  });
});

describe("removing the declaration", () => {
  it("removes every copy and nothing else (diff)", async () => {
    const diff = await compareRegistries(withSecret, without, LAYERS, { full: true });
    const changes = diff.resources;
    const removed = changes.filter((c) => c.op === "remove");
    expect(
      removed
        .filter((c) => c.type === SECRET_TYPE)
        .map((c) => `${c.tenant} ${c.name}`)
        .sort(),
    ).toEqual([
      "ann ann-api-shared-secret/regcred",
      "ann ann-web-shared-secret/regcred",
      "ann eu-gpu:ann-api-shared-secret/regcred",
      "ann eu-gpu:ann-web-shared-secret/regcred",
      "ben ben-shared-secret/regcred",
      "ben us-east:ben-us-shared-secret/regcred",
    ]);
    expect(changes.filter((c) => c.op !== "remove")).toEqual([]);
    expect(
      removed
        .filter((c) => c.type !== SECRET_TYPE)
        .map((c) => `${c.type} ${c.cluster}`)
        .sort(),
    ).toEqual(["pulumi:providers:kubernetes eu-gpu", "pulumi:providers:kubernetes us-east"]);
    expect(diff.refused).toBeUndefined();
    expect(formatDiff(diff, "diff")).toContain("  - vault: Secret ann-web/regcred @main");
  });
});

describe("tenants cannot change them", () => {
  it("the platformObjects admission policy refuses a tenant's update and delete of a copy, the platform's pass", () => {
    const { pairs, cluster } = clusterOf(plan, "main");
    const copy = regcreds(plan).find((r) => r.cluster === "main" && r.tenant === "ann")!;
    const object = { ...copy.inputs, data: { ".dockerconfigjson": "e30=" } } as Record<string, unknown>;
    const ann = { username: "oidc:ann@example.com", groups: ["system:authenticated"] };
    const edited = { ...object, data: { ".dockerconfigjson": "eyJhdXRocyI6e319" } };
    for (const [op, req] of [
      ["UPDATE", request("UPDATE", ann, edited, object)],
      ["DELETE", request("DELETE", ann, null, object)],
    ] as const) {
      const d = admit(pairs, cluster, req);
      expect(d, op).toMatchObject({ allowed: false, policy: expect.stringContaining("platform-objects") });
    }
    // control: the same request on a Secret of the tenant's own (no managed-by label) is allowed
    const own = { ...object, metadata: { name: "mine", namespace: "ann-web", labels: {} } };
    expect(admit(pairs, cluster, request("UPDATE", ann, own, own)).allowed).toBe(true);
  });
});

void TENANTS;
