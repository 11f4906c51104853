/**
 * A tenant's automation identities (issue 28, item 3; docs/automation-identities.md): ServiceAccounts a tenant
 * declares, made and bound by the platform. Validation of each bound (file and field pinned), the planned objects
 * (labelled the platform's, no automounted token, fenced in their namespaces, valid Kubernetes objects), the
 * access rows and can-i (exactly the tenant's namespaces on the clusters where the identity exists; controls: a
 * binding moved into another tenant's namespace, or onto a cluster without the identity, is caught), and
 * admission (the tenant cannot delete or recreate the identity, nor mint a long-lived credential for it, and the
 * identity binds nothing beyond its tenant). Registries without the field plan as before (fingerprints).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { LAYERS } from "../../../stacks/layers";
import { type Plan, buildPlan } from "../../../plan/plan";
import { accessMatrix } from "../../../plan/access";
import { canI } from "../../../plan/can-i";
import { type AccessRow, reachesNamespace, reachesTenant } from "../../../policy/access";
import type { RegistryModel } from "../../../registry/model";
import type { TenantFileInput } from "../../../registry/schema";
import { type Request, clusterOf } from "../../helpers/admission";
import { verdicts } from "../../helpers/verdicts";
import { tenantView } from "../../../portal/data";
import { privilegeDelta } from "../../../plan/privilege";
import { validateK8sObject } from "../../helpers/k8s-schema";
import { serviceAccountViolations } from "../../helpers/service-account-reach";
import { registryOf } from "../../plan/registries";
import { refusedWith } from "../../helpers/problems";

type Json = Record<string, unknown>;
type User = Request["user"];

const BOT = "system:serviceaccount:alice-ci:deployer-bot";
const READER = "system:serviceaccount:alice:reader";
const ALICE: User = { username: "oidc:alice@example.com", groups: ["system:authenticated"] };
const BOB: User = { username: "oidc:bob@example.com", groups: ["system:authenticated"] };
const PLATFORM: User = { username: "admin", groups: ["system:masters", "system:authenticated"] };
const AS_BOT: User = {
  username: BOT,
  groups: ["system:serviceaccounts", "system:serviceaccounts:alice-ci", "system:authenticated"],
};

/**
 * alice: `alice` on main; `alice-ci` on main and eu-gpu (region eu-west); `alice-gpu` on eu-gpu; `alice-us` on
 * us-east. Granted gpu-jobs (namespace scope) in alice-ci and alice-gpu and node-viewer (cluster scope), both on
 * eu-gpu. Her identities: deployer-bot in alice-ci (owner, both bundles), reader in alice (viewer, alice only).
 * bob is invited into alice-ci as viewer (which cannot act as its service accounts), carol into alice-us as developer.
 */
const tenants = (): Record<string, TenantFileInput> => ({
  alice: {
    email: "alice@example.com",
    tier: "team",
    namespaces: [
      "alice",
      { name: "alice-ci", clusterSelector: { matchLabels: { region: "eu-west" } } },
      { name: "alice-gpu", clusterSelector: { matchLabels: { purpose: "batch" } } },
      { name: "alice-us", clusterSelector: { matchLabels: { region: "us-east" } } },
    ],
    grants: [
      {
        bundle: "gpu-jobs",
        clusterSelector: { matchLabels: { purpose: "batch" } },
        namespaces: ["alice-ci", "alice-gpu"],
      },
      { bundle: "node-viewer", clusterSelector: { matchLabels: { purpose: "batch" } } },
    ],
    members: [
      { tenant: "bob", role: "viewer", namespaces: ["alice-ci"] },
      { tenant: "carol", role: "developer", namespaces: ["alice-us"] },
    ],
    serviceAccounts: [
      { name: "deployer-bot", namespace: "alice-ci", bundles: ["gpu-jobs", "node-viewer"] },
      { name: "reader", namespace: "alice", role: "viewer", namespaces: ["alice"] },
    ],
  },
  bob: {
    email: "bob@example.com",
    namespaces: ["bob", { name: "bob-gpu", clusterSelector: { matchLabels: { purpose: "batch" } } }],
  },
  carol: { email: "carol@example.com" },
});

let model: RegistryModel;
let plan: Plan;
let rows: AccessRow[];
beforeAll(async () => {
  model = registryOf(tenants());
  plan = await buildPlan(model, LAYERS);
  rows = accessMatrix(model, plan);
});

/** The platform's bindings of the tenant's identities, by name. */
const saBinding = (name: string | undefined) => /^tenancy-sa(-grant)?\./.test(name ?? "");
const resources = (p: Plan) => p.stacks.flatMap((s) => s.resources);
const meta = (r: { inputs: Json }) =>
  (r.inputs.metadata ?? {}) as { name: string; namespace?: string; labels?: Json };

/** Every problem of a registry, as the CLI prints them; fails if it is valid. */
function problems(edit: (t: Record<string, TenantFileInput>) => void): string[] {
  const docs = tenants();
  edit(docs);
  return refusedWith(() => registryOf(docs));
}
const withAccounts = (accounts: unknown[]) => (t: Record<string, TenantFileInput>) => {
  t.alice!.serviceAccounts = accounts as TenantFileInput["serviceAccounts"];
};

describe("validation: each bound, with its file and field", () => {
  it("resolves the declared identities: role owner by default, all the tenant's namespaces by default", () => {
    expect(model.tenants.find((t) => t.id === "alice")!.serviceAccounts).toEqual([
      {
        name: "deployer-bot",
        namespace: "alice-ci",
        role: "owner",
        namespaces: ["alice", "alice-ci", "alice-gpu", "alice-us"],
        bundles: ["gpu-jobs", "node-viewer"],
      },
      { name: "reader", namespace: "alice", role: "viewer", namespaces: ["alice"], bundles: [] },
    ]);
    // a record without the field has none (and its digest and plan stay what they were: the fingerprints)
    expect(model.tenants.find((t) => t.id === "bob")!).not.toHaveProperty("serviceAccounts");
  });

  it("the namespace: another tenant's, the platform's, a reserved one or none of the tenant's", () => {
    expect(
      problems(
        withAccounts([
          { name: "a", namespace: "bob" },
          { name: "b", namespace: "kube-system" },
          { name: "c", namespace: "ingress-nginx" },
          { name: "d", namespace: "nowhere" },
        ]),
      ),
    ).toEqual([
      `tenants/alice.yaml: serviceAccounts[0].namespace: "bob" is not a namespace of tenant "alice" (its namespaces: alice, alice-ci, alice-gpu, alice-us)`,
      `tenants/alice.yaml: serviceAccounts[1].namespace: "kube-system" is not a namespace of tenant "alice" (its namespaces: alice, alice-ci, alice-gpu, alice-us)`,
      `tenants/alice.yaml: serviceAccounts[2].namespace: "ingress-nginx" is not a namespace of tenant "alice" (its namespaces: alice, alice-ci, alice-gpu, alice-us)`,
      `tenants/alice.yaml: serviceAccounts[3].namespace: "nowhere" is not a namespace of tenant "alice" (its namespaces: alice, alice-ci, alice-gpu, alice-us)`,
    ]);
    // a tenant checked after the namespace's owner is told whose it is
    expect(
      problems((t) => {
        t.bob!.serviceAccounts = [{ name: "a", namespace: "alice-ci" }];
      }),
    ).toEqual([
      `tenants/bob.yaml: serviceAccounts[0].namespace: "alice-ci" is tenant "alice"'s namespace: a service account of tenant "bob" lives in one of its own namespaces (bob, bob-gpu)`,
    ]);
  });

  it("names: DNS labels (the file's schema), not Kubernetes' default, each declared once", () => {
    expect(
      problems(
        withAccounts([
          { name: "Deployer_Bot", namespace: "alice" },
          { name: "a.b", namespace: "alice" },
        ]),
      ),
    ).toEqual([
      `tenants/alice.yaml: serviceAccounts[0].name: "Deployer_Bot" is not a valid service account name (lowercase RFC 1123 label, at most 63 characters)`,
      `tenants/alice.yaml: serviceAccounts[1].name: "a.b" is not a valid service account name (lowercase RFC 1123 label, at most 63 characters)`,
    ]);
    expect(
      problems(
        withAccounts([
          { name: "default", namespace: "alice" },
          { name: "bot", namespace: "alice" },
          { name: "bot", namespace: "alice", role: "viewer" },
          { name: "bot", namespace: "alice-ci" },
        ]),
      ),
    ).toEqual([
      `tenants/alice.yaml: serviceAccounts[0].name: "default" is Kubernetes' own service account of the namespace (every pod without a serviceAccountName runs as it): give the automation an identity of its own`,
      `tenants/alice.yaml: serviceAccounts[2].name: "alice/bot" is declared twice (serviceAccounts[1] declares it)`,
    ]);
  });

  it("the role: a namespace role only (the tenant holds owner in each of its namespaces; nothing at cluster scope)", () => {
    expect(problems(withAccounts([{ name: "bot", namespace: "alice", role: "admin" }]))).toEqual([
      `tenants/alice.yaml: serviceAccounts[0].role: "admin" is not one of "owner", "manager", "developer", "viewer"`,
    ]);
  });

  it("the namespaces it is bound in: the tenant's own, once each, existing where the identity does", () => {
    expect(
      problems(
        withAccounts([
          { name: "bot", namespace: "alice", namespaces: ["alice", "bob", "alice", "alice-gpu"] },
        ]),
      ),
    ).toEqual([
      `tenants/alice.yaml: serviceAccounts[0].namespaces[1]: "bob" is not a namespace of tenant "alice" (its namespaces: alice, alice-ci, alice-gpu, alice-us)`,
      `tenants/alice.yaml: serviceAccounts[0].namespaces[2]: "alice" is listed twice`,
      `tenants/alice.yaml: serviceAccounts[0].namespaces[3]: "alice-gpu" exists on eu-gpu, none of the clusters where "alice/bot" exists (main): a service account's token is valid on its own cluster only`,
    ]);
  });

  it("bundles: only those the tenant is granted where the identity exists, and in a namespace it is bound in", () => {
    expect(
      problems(
        withAccounts([
          { name: "a", namespace: "alice", bundles: ["gpu-jobs", "node-viewer", "no-such"] },
          { name: "b", namespace: "alice-gpu", namespaces: ["alice-gpu"], bundles: ["gpu-jobs", "gpu-jobs"] },
          { name: "c", namespace: "alice-ci", namespaces: ["alice"], bundles: ["gpu-jobs"] },
        ]),
      ),
    ).toEqual([
      `tenants/alice.yaml: serviceAccounts[0].bundles[0]: tenant "alice" is not granted bundle "gpu-jobs" on main, where "alice/a" exists (its grants: gpu-jobs, node-viewer); a service account gets only what its tenant is granted`,
      `tenants/alice.yaml: serviceAccounts[0].bundles[1]: tenant "alice" is not granted bundle "node-viewer" on main, where "alice/a" exists (its grants: gpu-jobs, node-viewer); a service account gets only what its tenant is granted`,
      `tenants/alice.yaml: serviceAccounts[0].bundles[2]: tenant "alice" is not granted bundle "no-such" on main, where "alice/a" exists (its grants: gpu-jobs, node-viewer); a service account gets only what its tenant is granted`,
      `tenants/alice.yaml: serviceAccounts[1].bundles[1]: "gpu-jobs" is listed twice`,
      `tenants/alice.yaml: serviceAccounts[2].bundles[0]: tenant "alice" is granted bundle "gpu-jobs" in none of the namespaces "alice-ci/c" is bound in on main, eu-gpu`,
    ]);
  });

  it("its namespace has no invited member above viewer, who could act as its service accounts", () => {
    expect(
      problems((t) => {
        t.alice!.members = [
          { tenant: "bob", role: "developer", namespaces: ["alice-ci"] },
          { tenant: "carol", role: "manager" },
        ];
      }),
    ).toEqual([
      `tenants/alice.yaml: serviceAccounts[0].namespace: tenant "bob" (developer), tenant "carol" (manager) are invited into "alice-ci" and could act as its service accounts (impersonate them, request their tokens, run pods as them): put the identity in a namespace no other tenant is invited into above viewer`,
      `tenants/alice.yaml: serviceAccounts[1].namespace: tenant "carol" (manager) is invited into "alice" and could act as its service accounts (impersonate them, request their tokens, run pods as them): put the identity in a namespace no other tenant is invited into above viewer`,
    ]);
  });
});

describe("the planned objects", () => {
  const planned = () =>
    resources(plan).filter(
      (r) =>
        r.inputs.kind === "ServiceAccount" ||
        (String(r.inputs.kind).endsWith("Binding") && saBinding(meta(r).name)),
    );

  it("a ServiceAccount on each cluster its namespace exists on, the platform's, without an automounted token", () => {
    const accounts = resources(plan).filter((r) => r.inputs.kind === "ServiceAccount");
    expect(accounts.map((r) => `${r.cluster} ${meta(r).namespace}/${meta(r).name} ${r.name}`).sort()).toEqual(
      [
        "eu-gpu alice-ci/deployer-bot eu-gpu:alice-ci-serviceaccount/deployer-bot",
        "main alice-ci/deployer-bot alice-ci-serviceaccount/deployer-bot",
        "main alice/reader alice-serviceaccount/reader",
      ],
    );
    for (const r of accounts) {
      expect(r.tenant).toBe("alice");
      expect(r.parentType).toBe("tenancy:k8s:TenantServiceAccounts");
      expect(meta(r).labels).toEqual({
        "app.kubernetes.io/managed-by": "tenancy",
        "tenancy.io/tenant": "alice",
      });
      expect(r.inputs.automountServiceAccountToken).toBe(false);
    }
    // no Secret of any kind for them: their credentials are TokenRequests
    expect(resources(plan).filter((r) => r.inputs.kind === "Secret")).toEqual([]);
  });

  it("bindings on the clusters where the identity exists only, each to the declared role or a granted bundle", () => {
    const bindings = planned()
      .filter((r) => r.inputs.kind !== "ServiceAccount")
      .map((r) => {
        const b = r.inputs as { kind: string; roleRef: { name: string }; subjects: Json[] };
        expect(b.subjects).toEqual([
          {
            kind: "ServiceAccount",
            name: meta(r).name.split(".").at(-1),
            namespace: meta(r).name.split(".").at(-2),
          },
        ]);
        return `${r.cluster} ${b.kind} ${meta(r).namespace ?? "-"} ${meta(r).name} -> ${b.roleRef.name}`;
      })
      .sort();
    expect(bindings).toEqual([
      "eu-gpu ClusterRoleBinding - tenancy-sa-grant.node-viewer.alice-ci.deployer-bot -> tenancy-bundle-node-viewer",
      "eu-gpu RoleBinding alice-ci tenancy-sa-grant.gpu-jobs.alice-ci.deployer-bot -> tenancy-bundle-gpu-jobs",
      "eu-gpu RoleBinding alice-ci tenancy-sa.alice-ci.deployer-bot -> tenancy-namespace-owner",
      "eu-gpu RoleBinding alice-gpu tenancy-sa-grant.gpu-jobs.alice-ci.deployer-bot -> tenancy-bundle-gpu-jobs",
      "eu-gpu RoleBinding alice-gpu tenancy-sa.alice-ci.deployer-bot -> tenancy-namespace-owner",
      "main RoleBinding alice tenancy-sa.alice-ci.deployer-bot -> tenancy-namespace-owner",
      "main RoleBinding alice tenancy-sa.alice.reader -> tenancy-namespace-viewer",
      "main RoleBinding alice-ci tenancy-sa.alice-ci.deployer-bot -> tenancy-namespace-owner",
    ]);
  });

  it("each validates against the Kubernetes schema", () => {
    expect(planned().length).toBe(11);
    for (const r of planned()) validateK8sObject(r.inputs);
  });

  it("an offboarding namespace loses its identity and the bindings into it; an offboarding tenant all of them", async () => {
    const docs = tenants();
    docs.alice!.namespaces = (docs.alice!.namespaces as (string | Json)[]).map((n) =>
      n === "alice" ? { name: "alice", offboarding: true } : n,
    ) as TenantFileInput["namespaces"];
    const p = await buildPlan(registryOf(docs), LAYERS);
    const names = resources(p)
      .filter((r) => r.inputs.kind === "ServiceAccount" || saBinding(meta(r).name))
      .map((r) => `${r.cluster} ${meta(r).namespace ?? "-"} ${meta(r).name}`);
    expect(names.filter((n) => n.includes(" alice "))).toEqual([]);
    expect(names).toContain("main alice-ci deployer-bot");
    docs.alice!.offboarding = true;
    const gone = await buildPlan(registryOf(docs), LAYERS);
    expect(resources(gone).filter((r) => r.parentType === "tenancy:k8s:TenantServiceAccounts")).toEqual([]);
  });
});

describe("access rows and can-i: exactly its tenant's namespaces on its clusters", () => {
  it("its rows are its tenant's, on the clusters and in the namespaces it is bound in", () => {
    expect(serviceAccountViolations(model, rows)).toEqual([]);
    const reach = (p: string) =>
      [...new Set(rows.filter((r) => r.principal === p).map((r) => `${r.cluster} ${r.scope}`))].sort();
    expect(reach(BOT)).toEqual([
      "eu-gpu cluster",
      "eu-gpu namespace:alice-ci",
      "eu-gpu namespace:alice-gpu",
      "main namespace:alice",
      "main namespace:alice-ci",
    ]);
    expect(reach(READER)).toEqual(["main namespace:alice"]);
    for (const r of rows.filter((x) => x.principal === BOT)) {
      expect(r.tenant).toBe("alice");
      expect(r.subject).toBe(`ServiceAccount ${BOT}`);
    }
    // which rows concern a tenant: alice's, not bob's nor carol's
    const tenant = (id: string) => model.tenants.find((t) => t.id === id)!;
    const bots = rows.filter((r) => r.principal === BOT);
    expect(bots.every((r) => reachesTenant(r, tenant("alice")))).toBe(true);
    expect(bots.filter((r) => reachesTenant(r, tenant("bob")) || reachesTenant(r, tenant("carol")))).toEqual(
      [],
    );
    expect(bots.some((r) => reachesNamespace(r, "alice-us"))).toBe(false);
  });

  it("the portal lists them with their tenant's grants, and on no other tenant's page", () => {
    const page = (id: string) =>
      tenantView(
        model,
        plan,
        rows,
        model.tenants.find((t) => t.id === id)!,
      );
    const principals = (id: string) => new Set(page(id).grants.map((g) => g.principal));
    expect(principals("alice")).toEqual(new Set(["user:alice@example.com", BOT, READER]));
    expect(principals("bob").has(BOT) || principals("carol").has(BOT)).toBe(false);
    expect(JSON.stringify(page("bob"))).not.toContain("deployer-bot");
  });

  it("can-i answers for the service account's username", () => {
    const ask = (verb: string, resource: string, namespace: string | undefined, cluster: string, who = BOT) =>
      canI(rows, { principal: who, verb, resource, ...(namespace ? { namespace } : {}), cluster }).allowed;
    expect(ask("create", "apps/deployments", "alice", "main")).toBe(true);
    expect(ask("create", "apps/deployments", "alice-ci", "eu-gpu")).toBe(true);
    // a bundle's resources only where the tenant is granted it
    expect(ask("create", "kubeflow.org/pytorchjobs", "alice-gpu", "eu-gpu")).toBe(true);
    expect(ask("create", "kubeflow.org/pytorchjobs", "alice", "main")).toBe(false);
    expect(ask("list", "nodes", undefined, "eu-gpu")).toBe(true);
    expect(ask("list", "nodes", undefined, "main")).toBe(false);
    // not where it does not exist (alice-us is on us-east), not another tenant's
    expect(ask("get", "pods", "alice-us", "us-east")).toBe(false);
    expect(ask("get", "pods", "bob", "main")).toBe(false);
    expect(ask("get", "pods", "bob-gpu", "eu-gpu")).toBe(false);
    expect(ask("get", "pods", "alice", "main", READER)).toBe(true);
    expect(ask("create", "pods", "alice", "main", READER)).toBe(false);
    expect(ask("get", "pods", "alice-ci", "main", READER)).toBe(false);
  });

  it("controls: a binding moved into another tenant's namespace, onto a cluster without the identity, or to a bundle not granted, is caught", async () => {
    const edited = (edit: (inputs: Json, cluster: string | undefined) => string | void) => {
      const p = structuredClone(plan);
      const binding = resources(p).find(
        (r) =>
          r.cluster === "main" &&
          meta(r).name === "tenancy-sa.alice-ci.deployer-bot" &&
          meta(r).namespace === "alice",
      )!;
      const cluster = edit(binding.inputs, binding.cluster);
      if (cluster) binding.cluster = cluster;
      return serviceAccountViolations(model, accessMatrix(model, p));
    };
    const into = edited((b) => {
      (b.metadata as Json).namespace = "bob";
    });
    expect(into).toContain(
      `${BOT} main namespace:bob pods via RoleBinding bob/tenancy-sa.alice-ci.deployer-bot -> ClusterRole tenancy-namespace-owner: bob is not one of its tenant's active namespaces it declares on main`,
    );
    expect(into).toContain(`${BOT} of alice does not reach alice on main`);
    const elsewhere = edited(() => "us-east");
    expect(elsewhere).toContain(
      `${BOT} us-east namespace:alice pods via RoleBinding alice/tenancy-sa.alice-ci.deployer-bot -> ClusterRole tenancy-namespace-owner: not on a cluster where alice-ci exists (main, eu-gpu)`,
    );
    const bundle = edited((b) => {
      (b.roleRef as Json).name = "tenancy-bundle-gpu-jobs";
    });
    expect(bundle).toContain(
      `${BOT} main namespace:alice batch/jobs via RoleBinding alice/tenancy-sa.alice-ci.deployer-bot -> ClusterRole tenancy-bundle-gpu-jobs: bundle gpu-jobs is not one it declares and its tenant is granted on main`,
    );
    // and the planned answer changes with it
    const p = structuredClone(plan);
    resources(p)
      .filter((r) => meta(r).name === "tenancy-sa.alice-ci.deployer-bot" && meta(r).namespace === "alice")
      .forEach((r) => ((r.inputs.metadata as Json).namespace = "bob"));
    expect(
      canI(accessMatrix(model, p), {
        principal: BOT,
        verb: "get",
        resource: "pods",
        namespace: "bob",
        cluster: "main",
      }).allowed,
    ).toBe(true);
  });
});

describe("admission: the identity is the platform's, its credentials short-lived, its bindings bounded", () => {
  const v = verdicts(() => clusterOf(plan));
  const account = (labels: Json) => ({
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "deployer-bot", namespace: "alice-ci", labels },
    automountServiceAccountToken: false,
  });
  const sa = (
    operation: Request["operation"],
    user: User,
    object: Json | null,
    oldObject: Json | null,
  ): Request => ({
    operation,
    kind: { group: "", version: "v1", kind: "ServiceAccount" },
    resource: { group: "", version: "v1", resource: "serviceaccounts" },
    namespace: "alice-ci",
    name: "deployer-bot",
    user,
    object,
    oldObject,
  });
  const planned = () =>
    resources(plan).find(
      (r) => r.cluster === "main" && r.inputs.kind === "ServiceAccount" && meta(r).namespace === "alice-ci",
    )!.inputs as Json;

  it("the tenant (or the identity itself) may not delete, relabel or recreate it; the platform may", () => {
    for (const who of [ALICE, AS_BOT]) {
      v.denied(sa("DELETE", who, null, planned()), "tenancy-platform-objects", /belongs to the platform/);
      v.denied(
        sa("UPDATE", who, account({}), planned()),
        "tenancy-platform-objects",
        /belongs to the platform/,
      );
      v.denied(sa("CREATE", who, planned(), null), "tenancy-platform-objects", /tenants may not set it/);
    }
    v.allowed(sa("DELETE", PLATFORM, null, planned()));
    // control: what makes it the platform's is its label; an unlabelled one (a tenant's own) the tenant deletes
    v.allowed(sa("DELETE", ALICE, null, account({})));
    v.allowed(sa("CREATE", PLATFORM, planned(), null));
  });

  const tokenRequest = (user: User, expirationSeconds?: number): Request => ({
    operation: "CREATE",
    kind: { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" },
    resource: { group: "", version: "v1", resource: "serviceaccounts" },
    subResource: "token",
    namespace: "alice-ci",
    name: "deployer-bot",
    user,
    object: {
      kind: "TokenRequest",
      metadata: { name: "deployer-bot", namespace: "alice-ci" },
      spec: {
        audiences: ["https://kubernetes.default.svc"],
        ...(expirationSeconds ? { expirationSeconds } : {}),
      },
    },
    oldObject: null,
  });

  it("its tokens: TokenRequests of at most admission.maxTokenSeconds, by the tenant or itself; never a token Secret", () => {
    const max = model.environment.admission.maxTokenSeconds;
    for (const who of [ALICE, AS_BOT]) {
      v.allowed(tokenRequest(who, max));
      v.allowed(tokenRequest(who));
      v.denied(tokenRequest(who, max + 1), "tenancy-credentials", new RegExp(`at most ${max} seconds`));
      v.denied(
        {
          operation: "CREATE",
          kind: { group: "", version: "v1", kind: "Secret" },
          resource: { group: "", version: "v1", resource: "secrets" },
          namespace: "alice-ci",
          name: "deployer-bot-token",
          user: who,
          object: {
            apiVersion: "v1",
            kind: "Secret",
            type: "kubernetes.io/service-account-token",
            metadata: {
              name: "deployer-bot-token",
              namespace: "alice-ci",
              annotations: { "kubernetes.io/service-account.name": "deployer-bot" },
            },
          },
          oldObject: null,
        },
        "tenancy-credentials",
        /never expires/,
      );
    }
  });

  const binding = (namespace: string, roleRef: string, subject: Json): Request => ({
    operation: "CREATE",
    kind: { group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding" },
    resource: { group: "rbac.authorization.k8s.io", version: "v1", resource: "rolebindings" },
    namespace,
    name: "b",
    user: AS_BOT,
    object: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "b", namespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleRef },
      subjects: [subject],
    },
    oldObject: null,
  });

  it("the platform's own bindings of it are admitted; the identity binds the roles below the owner's to its tenant's principals only", () => {
    const own = resources(plan).filter(
      (r) => r.cluster === "main" && r.inputs.kind === "RoleBinding" && saBinding(meta(r).name),
    );
    expect(own.length).toBe(3);
    for (const r of own) {
      const req = binding(meta(r).namespace!, "x", {});
      v.allowed({ ...req, user: PLATFORM, name: meta(r).name, object: r.inputs as Json });
    }
    const self = { kind: "ServiceAccount", name: "deployer-bot", namespace: "alice-ci" };
    v.allowed(binding("alice", "tenancy-namespace-developer", self));
    v.allowed(
      binding("alice", "tenancy-namespace-viewer", {
        kind: "User",
        name: "oidc:alice@example.com",
        apiGroup: "rbac.authorization.k8s.io",
      }),
    );
    // the owner's roles are the tenant's own to give (ARCHITECTURE.md, "Roles"): not its automation's
    v.denied(
      binding("alice", "tenancy-namespace-owner", self),
      "tenancy-role-bindings",
      /only the tenant itself may bind or unbind the owner's roles/,
    );
    v.allowed({ ...binding("alice", "tenancy-namespace-owner", self), user: ALICE });
    // nobody of another tenant: bob, bob's service accounts
    v.denied(
      binding("alice", "tenancy-namespace-viewer", {
        kind: "User",
        name: BOB.username,
        apiGroup: "rbac.authorization.k8s.io",
      }),
      "tenancy-role-bindings",
      /may bind only the tenant's own user/,
    );
    v.denied(
      binding("alice", "tenancy-namespace-viewer", { kind: "ServiceAccount", name: "x", namespace: "bob" }),
      "tenancy-role-bindings",
      /may bind only the tenant's own user/,
    );
    // and bob cannot bind alice's identity into his namespace
    v.denied(
      { ...binding("bob", "tenancy-namespace-viewer", self), user: BOB },
      "tenancy-role-bindings",
      /may bind only the tenant's own user/,
    );
  });
});

describe("a new or wider identity is a raise of privilege (tenancy diff, approve-check)", () => {
  const erin = (serviceAccounts?: unknown[]): Record<string, TenantFileInput> => ({
    erin: {
      email: "erin@example.com",
      namespaces: ["erin", "erin-ci"],
      ...(serviceAccounts ? { serviceAccounts: serviceAccounts as TenantFileInput["serviceAccounts"] } : {}),
    },
  });
  const delta = (base?: unknown[], head?: unknown[]) =>
    privilegeDelta(registryOf(erin(base)), registryOf(erin(head))).map(
      (r) => `${r.principal} ${r.kind}: ${r.what}`,
    );
  const BOT_E = "system:serviceaccount:erin-ci:bot";

  it("reported: a new identity, a higher role, more namespaces; not: the same, narrower or removed", () => {
    expect(delta(undefined, [{ name: "bot", namespace: "erin-ci" }])).toEqual([
      `${BOT_E} automation: automation identity erin-ci/bot: owner in erin, erin-ci`,
    ]);
    expect(
      delta(
        [{ name: "bot", namespace: "erin-ci", role: "viewer", namespaces: ["erin-ci"] }],
        [{ name: "bot", namespace: "erin-ci", role: "developer" }],
      ),
    ).toEqual([
      `${BOT_E} automation: automation identity erin-ci/bot: role viewer -> developer; + namespaces erin`,
    ]);
    expect(delta([{ name: "bot", namespace: "erin-ci" }], [{ name: "bot", namespace: "erin-ci" }])).toEqual(
      [],
    );
    expect(
      delta([{ name: "bot", namespace: "erin-ci" }], [{ name: "bot", namespace: "erin-ci", role: "viewer" }]),
    ).toEqual([]);
    expect(delta([{ name: "bot", namespace: "erin-ci" }], undefined)).toEqual([]);
  });
});
