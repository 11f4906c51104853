/**
 * Several clusters (ARCHITECTURE.md, "Clusters"): label selectors with every operator, placement of tenants and
 * namespaces, role bundles refused when they cross the isolation, grants only where the tenant is placed, no churn
 * when a cluster is added, and the access table of the three-cluster example pinned.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkAgainst, checkRegistryChange, stateOf } from "../../deploy/guard";
import { appliedPlatform, runLayers } from "../../deploy/run";
import * as k8s from "@pulumi/kubernetes";
import { accessMatrix } from "../../plan/access";
import { runProgram } from "../../plan/harness";
import { buildPlan } from "../../plan/plan";
import {
  type LabelSelector,
  describeSelector,
  matches,
  onCluster,
  selectClusters,
} from "../../components/clusters/placement";
import { InvalidInputError, formatProblem } from "../../components/core/problems";
import type { TenantFileInput } from "../../registry/schema";
import { LAYERS } from "../../stacks/layers";
import { ROOT, runCli } from "../helpers/cli";
import { FakeEngine } from "../helpers/engine";
import { validateK8sObject } from "../helpers/k8s-schema";
import { exampleEnvironmentData, exampleWithEnvironment, loadExample, registryOf } from "./registries";

const LABELS = { region: "eu-west", purpose: "batch", accelerator: "nvidia-l4" };

describe("label selectors", () => {
  it.each<[string, LabelSelector, boolean]>([
    ["empty: everything", {}, true],
    ["matchLabels equal", { matchLabels: { region: "eu-west" } }, true],
    ["matchLabels other value", { matchLabels: { region: "us-east" } }, false],
    ["matchLabels missing key", { matchLabels: { zone: "a" } }, false],
    [
      "In: value in the set",
      { matchExpressions: [{ key: "purpose", operator: "In", values: ["batch", "x"] }] },
      true,
    ],
    [
      "In: value not in the set",
      { matchExpressions: [{ key: "purpose", operator: "In", values: ["general"] }] },
      false,
    ],
    ["In: label missing", { matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] }, false],
    [
      "NotIn: value in the set",
      { matchExpressions: [{ key: "purpose", operator: "NotIn", values: ["batch"] }] },
      false,
    ],
    [
      "NotIn: value not in it",
      { matchExpressions: [{ key: "purpose", operator: "NotIn", values: ["general"] }] },
      true,
    ],
    [
      "NotIn: label missing (Kubernetes: holds)",
      { matchExpressions: [{ key: "zone", operator: "NotIn", values: ["a"] }] },
      true,
    ],
    ["Exists: present", { matchExpressions: [{ key: "accelerator", operator: "Exists" }] }, true],
    ["Exists: missing", { matchExpressions: [{ key: "zone", operator: "Exists" }] }, false],
    ["DoesNotExist: missing", { matchExpressions: [{ key: "zone", operator: "DoesNotExist" }] }, true],
    [
      "DoesNotExist: present",
      { matchExpressions: [{ key: "accelerator", operator: "DoesNotExist" }] },
      false,
    ],
    [
      "every term must hold",
      {
        matchLabels: { region: "eu-west" },
        matchExpressions: [{ key: "accelerator", operator: "DoesNotExist" }],
      },
      false,
    ],
  ])("%s", (_name, selector, expected) => {
    expect(matches(selector, LABELS)).toBe(expected);
  });

  it("picks clusters in the environment's order; no selector picks the default", async () => {
    const env = (await loadExample()).environment;
    expect(selectClusters(env.clusters, undefined)).toEqual(["main"]);
    expect(selectClusters(env.clusters, { matchLabels: { region: "eu-west" } })).toEqual(["main", "eu-gpu"]);
    expect(
      selectClusters(env.clusters, {
        matchExpressions: [{ key: "region", operator: "NotIn", values: ["eu-west"] }],
      }),
    ).toEqual(["us-east"]);
    expect(
      describeSelector({
        matchLabels: { a: "b" },
        matchExpressions: [
          { key: "c", operator: "In", values: ["d", "e"] },
          { key: "f", operator: "DoesNotExist" },
        ],
      }),
    ).toBe("a=b, c in (d, e), !f");
    expect(onCluster(env.clusters, "main", "alice")).toBe("alice");
    expect(onCluster(env.clusters, "us-east", "alice")).toBe("us-east:alice");
  });

  it("refuses In without values and Exists with values, at the field", () => {
    const bad = (): TenantFileInput => ({
      email: "erin@example.com",
      clusterSelector: {
        matchExpressions: [
          { key: "region", operator: "In", values: [] },
          { key: "accelerator", operator: "Exists", values: ["x"] },
        ],
      },
    });
    expect(problemsOf({ erin: bad() })).toEqual([
      "tenants/erin.yaml: clusterSelector.matchExpressions[0].values: In needs at least one value",
      "tenants/erin.yaml: clusterSelector.matchExpressions[1].values: Exists takes no values",
    ]);
  });
});

function problemsOf(
  tenants: Record<string, TenantFileInput>,
  env: unknown = exampleEnvironmentData(),
): string[] {
  try {
    registryOf(tenants, env);
    return [];
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    return e.problems.map(formatProblem);
  }
}

/** Where each of a tenant's Kubernetes objects is: cluster -> `Kind namespace/name`. */
async function objectsByCluster(tenants: Record<string, TenantFileInput>, env?: unknown) {
  const model = registryOf(tenants, env);
  const plan = await buildPlan(model, LAYERS, { layers: ["platform"] });
  const out: Record<string, string[]> = {};
  for (const r of plan.stacks[0]!.resources) {
    if (r.tenant === undefined || !r.type.startsWith("kubernetes:")) continue;
    validateK8sObject(r.inputs);
    const m = r.inputs.metadata as { name: string; namespace?: string };
    (out[r.cluster!] ??= []).push(
      `${String(r.inputs.kind)} ${m.namespace ? `${m.namespace}/` : ""}${m.name}`,
    );
  }
  for (const list of Object.values(out)) list.sort();
  return out;
}

describe("placement", () => {
  it("a tenant on two of three clusters gets its namespaces, fences and bindings on exactly those", async () => {
    const placed = await objectsByCluster({
      erin: {
        email: "erin@example.com",
        clusterSelector: { matchLabels: { purpose: "general" } },
        namespaces: ["erin"],
      },
    });
    expect(Object.keys(placed).sort()).toEqual(["main", "us-east"]);
    // the same objects on each, under the same Kubernetes names
    expect(placed["us-east"]).toEqual(placed.main);
    // a namespace owner of a tier without clusterReader: nothing at cluster scope
    expect(placed.main).toEqual([
      "ConfigMap erin/tenancy-admission",
      "LimitRange erin/tenant-limits",
      "Namespace erin",
      "NetworkPolicy erin/tenancy-default-deny",
      "NetworkPolicy erin/tenancy-dns-egress",
      "NetworkPolicy erin/tenancy-extra-egress",
      "NetworkPolicy erin/tenancy-extra-ingress",
      "NetworkPolicy erin/tenancy-from-ingress-controller",
      "NetworkPolicy erin/tenancy-same-tenant",
      "ResourceQuota erin/tenant-quota",
      "RoleBinding erin/tenant-owner",
    ]);
  });

  it("a namespace's own selector: that namespace alone goes elsewhere, and the tenant with it", async () => {
    const placed = await objectsByCluster({
      erin: {
        email: "erin@example.com",
        namespaces: [
          "erin",
          { name: "erin-gpu", clusterSelector: { matchLabels: { accelerator: "nvidia-l4" } } },
        ],
      },
    });
    expect(Object.keys(placed).sort()).toEqual(["eu-gpu", "main"]);
    expect(placed.main!.filter((o) => o.startsWith("Namespace "))).toEqual(["Namespace erin"]);
    expect(
      placed["eu-gpu"]!.filter((o) => o.startsWith("Namespace ") || o.startsWith("ClusterRoleBinding ")),
    ).toEqual(["Namespace erin-gpu"]);
    expect(placed["eu-gpu"]).toContain("RoleBinding erin-gpu/tenant-owner");
  });

  it("a selector picking no cluster is an error at its field", () => {
    expect(
      problemsOf({
        erin: {
          email: "erin@example.com",
          namespaces: [{ name: "erin", clusterSelector: { matchLabels: { region: "mars" } } }],
        },
      }),
    ).toEqual([
      'tenants/erin.yaml: namespaces[0].clusterSelector: region=mars selects no cluster of environment "example" (clusters: main {region=eu-west, purpose=general}, eu-gpu {region=eu-west, purpose=batch, accelerator=nvidia-l4}, us-east {region=us-east, purpose=general})',
    ]);
  });

  it("the tier's budget counts a namespace's quota on each cluster it is on", () => {
    // standard tier: budgets requests.cpu 6 and requests.memory 12Gi, each namespace 1 and 2Gi by default;
    // 3 namespaces on 3 clusters make 9 quotas (fred's 3 on one cluster fit)
    expect(
      problemsOf({
        erin: { email: "erin@example.com", clusterSelector: {}, namespaces: ["erin", "erin-a", "erin-b"] },
        fred: { email: "fred@example.com", namespaces: ["fred", "fred-a", "fred-b"] },
      }),
    ).toEqual([
      'tenants/erin.yaml: namespaces: requests.cpu summed over 3 namespaces on their clusters (9 quotas in all) is "9", over the tier "standard" budget of "6"',
      'tenants/erin.yaml: namespaces: requests.memory summed over 3 namespaces on their clusters (9 quotas in all) is "18Gi", over the tier "standard" budget of "12Gi"',
    ]);
  });

  it("a namespace name belongs to one tenant across all clusters", () => {
    expect(
      problemsOf({
        erin: { email: "erin@example.com", namespaces: ["shared-ns"] },
        fred: {
          email: "fred@example.com",
          namespaces: [{ name: "shared-ns", clusterSelector: { matchLabels: { region: "us-east" } } }],
        },
      }),
    ).toEqual([
      'tenants/fred.yaml: namespaces[0].name: "shared-ns" is already owned by tenant "erin" (tenants/erin.yaml); a namespace has one owner',
    ]);
  });
});

describe("role bundles and grants", () => {
  it("a bundle crossing the isolation is refused unless trusted, each rule at its field", () => {
    const env = exampleEnvironmentData();
    env.roleBundles.escalating = {
      rules: [
        {
          apiGroups: ["rbac.authorization.k8s.io"],
          resources: ["clusterroles"],
          verbs: ["bind", "escalate"],
        },
        { apiGroups: [""], resources: ["nodes"], verbs: ["patch"] },
        { apiGroups: [""], resources: ["users"], verbs: ["impersonate"] },
        { apiGroups: [""], resources: ["resourcequotas"], verbs: ["update"] },
      ],
    };
    env.roleBundles["secrets-everywhere"] = {
      scope: "cluster",
      rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }],
    };
    const TRUST =
      "a bundle that crosses the tenant isolation needs trusted: true (its grantees become shared principals)";
    expect(problemsOf({}, env)).toEqual([
      `environments/example.yaml: roleBundles.escalating.rules[0].verbs: "bind" is refused; ${TRUST}`,
      `environments/example.yaml: roleBundles.escalating.rules[0].verbs: "escalate" is refused; ${TRUST}`,
      `environments/example.yaml: roleBundles.escalating.rules[1].resources: writing "nodes" (cluster-scoped) is refused; ${TRUST}`,
      `environments/example.yaml: roleBundles.escalating.rules[2].verbs: "impersonate" is refused; ${TRUST}`,
      `environments/example.yaml: roleBundles.escalating.rules[3].resources: writing "resourcequotas" (a tenant's fence) is refused; ${TRUST}`,
      `environments/example.yaml: roleBundles.secrets-everywhere.rules[0].resources: "secrets" in "" is not only a known cluster-scoped resource (a subresource, a wildcard, or namespaced in some group): bound cluster-wide, it may reach every tenant's namespaces; ${TRUST}`,
    ]);
    // trusted: accepted as written
    env.roleBundles.escalating.trusted = true;
    env.roleBundles["secrets-everywhere"].trusted = true;
    expect(problemsOf({}, env)).toEqual([]);
  });

  it("bound cluster-wide, only known cluster-scoped resources themselves: no subresource, wildcard or mixed group", () => {
    const env = exampleEnvironmentData();
    const bundle = (rule: Record<string, unknown>) => ({
      scope: "cluster",
      rules: [{ verbs: ["get"], ...rule }],
    });
    env.roleBundles = {
      proxy: bundle({ apiGroups: [""], resources: ["nodes/proxy"] }),
      anygroup: bundle({ apiGroups: ["*"], resources: ["nodes"] }),
      mixed: bundle({ apiGroups: ["", "longhorn.io"], resources: ["nodes"] }),
      fine: bundle({
        apiGroups: ["", "storage.k8s.io"].slice(0, 1),
        resources: ["nodes", "persistentvolumes"],
      }),
    };
    const messages = problemsOf({}, env);
    expect(messages.map((m) => m.split(": ")[1])).toEqual([
      "roleBundles.proxy.rules[0].resources",
      "roleBundles.anygroup.rules[0].resources",
      "roleBundles.mixed.rules[0].resources",
    ]);
    expect(messages[0]).toContain(
      '"nodes/proxy" in "" is not only a known cluster-scoped resource (a subresource, a wildcard, or namespaced in some group): bound cluster-wide, it may reach every tenant\'s namespaces',
    );
  });

  it("one grant of a bundle per cluster: a second would bind (and name) the same objects twice", () => {
    expect(
      problemsOf({
        erin: {
          email: "erin@example.com",
          clusterSelector: { matchLabels: { region: "eu-west" } },
          grants: [
            { bundle: "gpu-jobs", clusterSelector: { matchLabels: { region: "eu-west" } } },
            { bundle: "gpu-jobs", clusterSelector: { matchLabels: { purpose: "batch" } } },
          ],
        },
      }),
    ).toEqual([
      'tenants/erin.yaml: grants[1].clusterSelector: grants bundle "gpu-jobs" again on eu-gpu (grants[0] does): one grant of a bundle per cluster; list its namespaces in one grant',
    ]);
  });

  it("selector values are label values; CI deploys only where deployers are (the default cluster)", () => {
    expect(
      problemsOf({
        erin: {
          email: "erin@example.com",
          clusterSelector: { matchExpressions: [{ key: "region", operator: "In", values: ["bad value!"] }] },
        },
        fred: {
          email: "fred@example.com",
          namespaces: ["fred", { name: "fred-gpu", clusterSelector: { matchLabels: { purpose: "batch" } } }],
          ci: { boundClaims: { repository_owner_id: "42" }, namespaces: ["fred", "fred-gpu"] },
        },
      }),
    ).toEqual([
      'tenants/erin.yaml: clusterSelector.matchExpressions[0].values[0]: "bad value!" is not a valid label value (at most 63 characters: letters, digits, -, _, .)',
      'tenants/fred.yaml: ci.namespaces[1]: pipelines deploy with deployer credentials of the default cluster "main", and namespace "fred-gpu" is not placed there (it is on eu-gpu)',
    ]);
  });

  it("a namespace off the default cluster has no deployer, but its SOPS key stays usable by its tenant", async () => {
    const env = exampleEnvironmentData();
    env.vault.sops = {};
    const model = registryOf(
      {
        fred: {
          email: "fred@example.com",
          namespaces: ["fred", { name: "fred-gpu", clusterSelector: { matchLabels: { purpose: "batch" } } }],
        },
      },
      env,
    );
    const plan = await buildPlan(model, LAYERS, { layers: ["vault"] });
    const policy = plan.stacks
      .flatMap((s) => s.resources)
      .find((r) => r.type === "vault:index/policy:Policy")!;
    const paths = Object.keys((JSON.parse(String(policy.inputs.policy)) as { path: object }).path);
    expect(paths.filter((p) => p.includes("fred-gpu"))).toEqual([
      "transit/encrypt/sops-state-fred-gpu",
      "transit/decrypt/sops-state-fred-gpu",
    ]);
    expect(paths).toContain("kubernetes/creds/fred-deployer");
  }, 60_000);

  it("a grant outside the tenant's placement, of an unknown bundle, or in a namespace not there is refused", () => {
    expect(
      problemsOf({
        erin: {
          email: "erin@example.com",
          namespaces: ["erin"],
          grants: [
            { bundle: "gpu-jobs", clusterSelector: { matchLabels: { accelerator: "nvidia-l4" } } },
            { bundle: "root", clusterSelector: {} },
            { bundle: "node-viewer", clusterSelector: {}, namespaces: ["erin"] },
          ],
        },
      }),
    ).toEqual([
      'tenants/erin.yaml: grants[0].clusterSelector: selects cluster eu-gpu, where tenant "erin" is not placed (it is on main); narrow the selector or place the tenant there',
      'tenants/erin.yaml: grants[1].bundle: "root" is not a role bundle of environment "example" (bundles: gpu-jobs, node-viewer)',
      'tenants/erin.yaml: grants[1].clusterSelector: selects clusters eu-gpu, us-east, where tenant "erin" is not placed (it is on main); narrow the selector or place the tenant there',
      'tenants/erin.yaml: grants[2].clusterSelector: selects clusters eu-gpu, us-east, where tenant "erin" is not placed (it is on main); narrow the selector or place the tenant there',
      'tenants/erin.yaml: grants[2].namespaces: bundle "node-viewer" is bound cluster-wide (scope cluster): a grant of it names no namespaces',
    ]);
  });

  it("a grant becomes a RoleBinding of the bundle's ClusterRole in each granted namespace on each selected cluster", async () => {
    const placed = await objectsByCluster({
      erin: {
        email: "erin@example.com",
        clusterSelector: { matchLabels: { region: "eu-west" } },
        namespaces: ["erin", "erin-ml"],
        grants: [
          {
            bundle: "gpu-jobs",
            clusterSelector: { matchLabels: { purpose: "batch" } },
            namespaces: ["erin-ml"],
          },
          {
            bundle: "node-viewer",
            clusterSelector: { matchExpressions: [{ key: "accelerator", operator: "Exists" }] },
          },
        ],
      },
    });
    expect(placed["eu-gpu"]!.filter((o) => o.includes("tenancy-grant"))).toEqual([
      "ClusterRoleBinding tenancy-grant.erin.node-viewer",
      "RoleBinding erin-ml/tenancy-grant.gpu-jobs",
    ]);
    expect(placed.main!.filter((o) => o.includes("tenancy-grant"))).toEqual([]);
  });

  it("grants appear in access and can-i, on their cluster only", async () => {
    const model = await loadExample();
    const rows = accessMatrix(model, await buildPlan(model, LAYERS));
    const grant = rows.filter((r) => r.via.includes("tenancy-grant"));
    expect(new Set(grant.map((r) => `${r.cluster} ${r.scope} ${r.resource} ${r.verbs.join(",")}`))).toEqual(
      new Set([
        "eu-gpu namespace:alice-dev batch/jobs get,list,watch,create,update,patch,delete",
        "eu-gpu namespace:alice-dev batch/cronjobs get,list,watch,create,update,patch,delete",
        "eu-gpu namespace:alice-dev kubeflow.org/pytorchjobs get,list,watch,create,update,patch,delete",
        "eu-gpu namespace:alice-dev kubeflow.org/tfjobs get,list,watch,create,update,patch,delete",
        "eu-gpu cluster nodes get,list,watch",
      ]),
    );
    const yes = runCli([
      "can-i",
      "alice",
      "create",
      "kubeflow.org/pytorchjobs",
      "--namespace",
      "alice-dev",
      "--cluster",
      "eu-gpu",
    ]);
    expect(yes.code).toBe(0);
    expect(yes.stdout).toContain(
      "RoleBinding alice-dev/tenancy-grant.gpu-jobs -> ClusterRole tenancy-bundle-gpu-jobs",
    );
    const no = runCli(["can-i", "alice", "create", "kubeflow.org/pytorchjobs", "--namespace", "alice-dev"]);
    expect(no.code).toBe(1);
    expect(no.stdout).toMatch(
      /^no: user:alice@example\.com may not create kubeflow\.org\/pytorchjobs in namespace:alice-dev on cluster main: /,
    );
    expect(runCli(["can-i", "alice", "list", "nodes", "--cluster", "mars"]).stderr).toBe(
      "tenancy: no such cluster: mars (clusters: main, eu-gpu, us-east)\n",
    );
  }, 60_000);
});

describe("the harness", () => {
  it("refuses a program registering one URN twice, as the engine does (the mock runtime would take it)", async () => {
    await expect(
      runProgram({ stack: "example-platform" }, async () => {
        new k8s.core.v1.ConfigMap("twice", { data: {} });
        new k8s.core.v1.ConfigMap("twice", { data: {} });
        return {};
      }),
    ).rejects.toThrow(
      /^duplicate resource URN \S*kubernetes:core\/v1:ConfigMap::twice: the Pulumi engine refuses/,
    );
  });
});

describe("churn", () => {
  it("adding a cluster leaves every existing resource identical, and adds only that cluster's", async () => {
    const before = await buildPlan(await loadExample(), LAYERS);
    const env = exampleEnvironmentData();
    env.clusters.push({
      name: "ap-south",
      context: "example-ap-admin",
      labels: { region: "ap-south", purpose: "edge" },
    });
    const after = await buildPlan(exampleWithEnvironment(env), LAYERS);
    const key = (s: string, r: { type: string; name: string }) => `${s} ${r.type} ${r.name}`;
    const old = new Map(before.stacks.flatMap((s) => s.resources.map((r) => [key(s.stack, r), r] as const)));
    const now = new Map(after.stacks.flatMap((s) => s.resources.map((r) => [key(s.stack, r), r] as const)));
    for (const [k, r] of old) expect(now.get(k), k).toEqual(r);
    const added = [...now.values()].filter(
      (r) => !old.has(key(after.stacks.find((s) => s.resources.includes(r))!.stack, r)),
    );
    expect(added.length).toBeGreaterThan(0);
    // the new cluster's provider and shared objects, nobody's tenant objects: no tenant selects it
    for (const r of added) {
      expect(r.cluster, r.name).toBe("ap-south");
      expect(r.tenant, r.name).toBeUndefined();
    }
  }, 60_000);
});

describe("churn of a selector", () => {
  it("widening a tenant's selector adds its objects on the new cluster only, and changes nothing else", async () => {
    const before = await buildPlan(await loadExample(), LAYERS, { layers: ["platform"] });
    const widened = exampleWithEnvironment(exampleEnvironmentData(), (doc) =>
      doc.id === "bob" ? { ...doc, data: { ...(doc.data as object), clusterSelector: {} } } : doc,
    );
    const after = await buildPlan(widened, LAYERS, { layers: ["platform"] });
    const key = (r: { type: string; name: string }) => `${r.type} ${r.name}`;
    const old = new Map(before.stacks[0]!.resources.map((r) => [key(r), r]));
    const now = after.stacks[0]!.resources;
    for (const r of now.filter((x) => old.has(key(x)))) expect(r, key(r)).toEqual(old.get(key(r)));
    expect(now.filter((r) => old.has(key(r))).length).toBe(old.size);
    const added = now.filter((r) => !old.has(key(r)));
    // bob-prod (which follows bob's selector) and bob's access on eu-gpu; bob-staging keeps its own selector
    expect(new Set(added.map((r) => `${r.cluster} ${r.tenant}`))).toEqual(new Set(["eu-gpu bob"]));
    expect(added.filter((r) => r.type === "kubernetes:core/v1:Namespace").map((r) => r.name)).toEqual([
      "eu-gpu:bob-prod-namespace",
    ]);
  }, 60_000);
});

describe("the access table of the three-cluster example", () => {
  it("is pinned for alice on eu-gpu (test/plan/access-eu-gpu-alice.txt)", () => {
    const r = runCli(["access", "--tenant", "alice", "--cluster", "eu-gpu"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(ROOT, "test", "plan", "access-eu-gpu-alice.txt"), "utf8"));
  }, 60_000);

  it("--cluster names a cluster of the environment", () => {
    const r = runCli(["access", "--cluster", "mars"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("tenancy: no such cluster: mars (clusters: main, eu-gpu, us-east)\n");
  });
});

describe("the guard", () => {
  it("refuses another default cluster than the applied one (both clusters' objects would be renamed)", async () => {
    const model = await loadExample();
    const platform = (await buildPlan(model, LAYERS, { layers: ["platform"] })).stacks[0]!.outputs;
    expect(platform.defaultCluster).toBe("main");
    const env = exampleEnvironmentData();
    env.clusters[0].default = false;
    env.clusters[2].default = true;
    // bob's pipelines would deploy to bob-staging, which is not on us-east: not the point here
    const moved = exampleWithEnvironment(env, (doc) => {
      if (doc.id !== "bob") return doc;
      const data = structuredClone(doc.data) as { ci: { namespaces?: string[] } };
      delete data.ci.namespaces;
      return { ...doc, data };
    });
    const opts = { allowRemovals: true, allowHandover: true, allowShardChange: true };
    expect(() => checkRegistryChange(platform, moved, opts)).toThrow(
      /^the default cluster is us-east but the platform layer was applied with main: /,
    );
    expect(() =>
      checkRegistryChange(platform, moved, { ...opts, allowDefaultClusterChange: true }),
    ).not.toThrow();
    expect(() => checkRegistryChange(platform, model, opts)).not.toThrow();
    // and through `tenancy up`, which reads the applied platform stacks from the engine
    const engine = new FakeEngine();
    const NOTHING = { allowRemovals: false, allowHandover: false };
    await runLayers("up", model, engine, NOTHING);
    expect((await appliedPlatform(engine, model))?.defaultCluster).toBe("main");
    engine.calls.length = 0;
    await expect(runLayers("up", moved, engine, NOTHING)).rejects.toThrow(
      /^the default cluster is us-east but the platform layer was applied with main: /,
    );
    expect(engine.calls).toEqual([]);
  }, 120_000);

  const NONE = { allowRemovals: false, allowHandover: false };
  const narrowed = (offboarding: boolean) =>
    exampleWithEnvironment(exampleEnvironmentData(), (doc) => {
      if (doc.id !== "alice") return doc;
      const data = structuredClone(doc.data) as { namespaces: unknown[]; grants?: unknown };
      // alice-dev on the default cluster only: it leaves eu-gpu (and so do alice's grants there)
      data.namespaces[1] = { name: "alice-dev", ...(offboarding ? { offboarding: true } : {}) };
      data.grants = [];
      return { ...doc, data };
    });

  it("refuses a namespace leaving a cluster without offboarding first (its objects there would go)", async () => {
    const applied = stateOf(await loadExample());
    expect(applied.namespaces["alice-dev"]!.clusters).toEqual(["main", "eu-gpu"]);
    expect(() => checkAgainst(applied, narrowed(false), NONE)).toThrow(
      /^namespaces leaving a cluster without offboarding first: alice-dev \(tenant alice\) on eu-gpu\. /,
    );
    expect(() => checkAgainst(applied, narrowed(false), { ...NONE, allowRemovals: true })).not.toThrow();
    // offboarded first (applied so), the cluster may be left
    const offboarded = stateOf(
      exampleWithEnvironment(exampleEnvironmentData(), (doc) => {
        if (doc.id !== "alice") return doc;
        const data = structuredClone(doc.data) as { namespaces: Record<string, unknown>[] };
        data.namespaces[1] = { ...data.namespaces[1], offboarding: true };
        return { ...doc, data };
      }),
    );
    expect(() => checkAgainst(offboarded, narrowed(true), NONE)).not.toThrow();
  });
});
