/**
 * `npx tenancy plan` as a user runs it: the `--json` output against ARCHITECTURE.md's contract (written as a
 * zod schema, itself shown a broken plan), the readable tree, `--tenant` / `--layer` filtering and exit codes.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { buildPlan } from "../../plan/plan";
import { LAYERS } from "../../stacks/layers";
import { type CliResult, runCli } from "../helpers/cli";
import { loadExample } from "./registries";

/** A Pulumi type token, `package:module:Type`, e.g. `kubernetes:core/v1:Namespace`, `pulumi:providers:kubernetes`. */
const TypeToken = z.string().regex(/^[a-z][\w-]*:[\w.\-/]+:[A-Za-z][\w-]*$/, "a Pulumi type token");
const Id = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);

const PlannedResource = z.strictObject({
  type: TypeToken,
  name: z.string().min(1),
  /** absent, not null or "", for shared resources */
  tenant: Id.optional(),
  cluster: Id.optional(),
  parentType: TypeToken.optional(),
  protect: z.boolean(),
  inputs: z.record(z.string(), z.unknown()),
});

const PlatformOutputs = z.object({
  tenants: z.record(Id, z.object({ namespaces: z.array(Id) })),
});

const PlannedStack = z.strictObject({
  stack: z.string(),
  layer: z.enum(LAYERS.map((l) => l.name) as [string, ...string[]]),
  dependsOn: z.array(z.string()),
  resources: z.array(PlannedResource),
  outputs: z.record(z.string(), z.unknown()),
});

/** ARCHITECTURE.md's `plan --json` contract. */
const PlanJson = z
  .strictObject({
    environment: Id,
    tenants: z.array(Id),
    stacks: z.array(PlannedStack).min(1),
  })
  .superRefine((plan, ctx) => {
    const sorted = [...plan.tenants].sort();
    if (plan.tenants.join() !== sorted.join())
      ctx.addIssue({ code: "custom", path: ["tenants"], message: "tenant ids are not sorted" });
    const tenants = new Set(plan.tenants);
    plan.stacks.forEach((s, i) => {
      if (s.stack !== `${plan.environment}-${s.layer}`)
        ctx.addIssue({
          code: "custom",
          path: ["stacks", i, "stack"],
          message: `not ${plan.environment}-${s.layer}`,
        });
      s.resources.forEach((r, j) => {
        if (r.tenant !== undefined && !tenants.has(r.tenant))
          ctx.addIssue({
            code: "custom",
            path: ["stacks", i, "resources", j, "tenant"],
            message: "not a planned tenant",
          });
      });
      if (s.layer === "platform") {
        const out = PlatformOutputs.safeParse(s.outputs);
        if (!out.success)
          ctx.addIssue({ code: "custom", path: ["stacks", i, "outputs"], message: out.error.message });
        else if (Object.keys(out.data.tenants).sort().join() !== sorted.join())
          ctx.addIssue({
            code: "custom",
            path: ["stacks", i, "outputs", "tenants"],
            message: "not the planned tenants",
          });
      }
    });
  });

/** The contract's problems with a JSON value, as `path: message` lines. */
function contractProblems(json: unknown): string[] {
  const r = PlanJson.safeParse(json);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

let json: CliResult;
beforeAll(() => {
  json = runCli(["plan", "--json"]);
});

describe("tenancy plan --json", () => {
  it("exits 0 with the plan on stdout and nothing on stderr", () => {
    expect(json.stderr).toBe("");
    expect(json.code).toBe(0);
  });

  it("matches the contract of ARCHITECTURE.md", () => {
    const plan = JSON.parse(json.stdout) as z.infer<typeof PlanJson>;
    expect(contractProblems(plan)).toEqual([]);
    expect(plan.environment).toBe("example");
    expect(plan.tenants).toEqual(["alice", "bob", "carol", "dave"]);
    // one stack per layer, in dependency order, the platform first
    expect(plan.stacks.map((s) => [s.stack, s.layer, s.dependsOn])).toEqual(
      LAYERS.map((l) => [`example-${l.name}`, l.name, l.dependsOn]),
    );
    expect(plan.stacks[0]!.stack).toBe("example-platform");
    expect(plan.stacks[0]!.dependsOn).toEqual([]);
    plan.stacks.forEach((s, i) => {
      const earlier = plan.stacks.slice(0, i).map((x) => x.layer);
      for (const d of s.dependsOn) expect(earlier, `${s.stack} after ${d}`).toContain(d);
    });
    const platform = plan.stacks[0];
    // the record as applied, for the events of the next up (components/events/policy.ts)
    const DIGEST = expect.stringMatching(/^[0-9a-f]{32}$/);
    expect(platform!.outputs).toEqual({
      tenants: {
        alice: { namespaces: ["alice", "alice-dev"], offboarding: false, digest: DIGEST },
        bob: { namespaces: ["bob-prod", "bob-staging"], offboarding: false, digest: DIGEST },
        carol: { namespaces: ["carol"], offboarding: false, digest: DIGEST },
        dave: { namespaces: ["dave"], offboarding: true, digest: DIGEST },
      },
      // every namespace with its owner, for the guard (handovers and removals)
      namespaces: {
        alice: { tenant: "alice", offboarding: false, clusters: ["main"] },
        "alice-dev": { tenant: "alice", offboarding: false, clusters: ["main", "eu-gpu"] },
        "bob-prod": { tenant: "bob", offboarding: false, clusters: ["main", "us-east"] },
        "bob-staging": { tenant: "bob", offboarding: false, clusters: ["main"] },
        carol: { tenant: "carol", offboarding: false, clusters: ["main"] },
        dave: { tenant: "dave", offboarding: true, clusters: ["main"] },
      },
      // the shard count the layout is applied with, and the default cluster, for the guard
      shards: 1,
      defaultCluster: "main",
      // the name templates applied, resolved: the next run tells a renamed fence by them (policy/names.ts)
      names: {
        vaultPolicy: "tenant-{tenant}",
        deployer: "{namespace}-deployer",
        ownerBinding: "tenant-owner",
        memberBinding: "tenant-member-{member}",
        clusterBinding: "tenancy-tenant-{tenant}",
        quota: "tenant-quota",
        limits: "tenant-limits",
        tlsSecret: "tenant-tls",
      },
    });
    // shared resources carry no tenant key at all; everything else names its tenant
    const shared = platform!.resources.filter((r) => !("tenant" in r));
    // no ciIdentity policy: the example has no shared CI identity
    const POLICIES = [
      "credentials",
      "hostnames",
      "networkPolicies",
      "platformObjects",
      "platformSubresources",
      "roleBindings",
      "services",
      "workloads",
    ];
    const VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
    // once per cluster: the default cluster's under their bare names, the others' as <cluster>:<name>
    const CR = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";
    const ROLES = [
      "tenancy-bundle-gpu-jobs",
      "tenancy-bundle-node-viewer",
      "tenancy-cluster-reader",
      "tenancy-namespace-developer",
      "tenancy-namespace-manager",
      "tenancy-namespace-manager-rolebindings",
      "tenancy-namespace-owner",
      "tenancy-namespace-viewer",
      "tenancy-power-user",
    ];
    const onEach = (q: string) => [
      ...POLICIES.map((p) => `${VAP} ${q}admission-policy/${p}`),
      ...POLICIES.map((p) => `${VAP}Binding ${q}admission-binding/${p}`),
      ...ROLES.map((role) => `${CR} ${q}shared-clusterrole/${role}`),
    ];
    expect(shared.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        ...onEach(""),
        ...onEach("eu-gpu:"),
        ...onEach("us-east:"),
        "pulumi:providers:kubernetes cluster-eu-gpu",
        "pulumi:providers:kubernetes cluster-main",
        "pulumi:providers:kubernetes cluster-us-east",
      ].sort(),
    );
    expect(platform!.resources.find((r) => r.name === "alice-dev-namespace")).toEqual({
      type: "kubernetes:core/v1:Namespace",
      cluster: "main",
      name: "alice-dev-namespace",
      tenant: "alice",
      parentType: "tenancy:k8s:TenantNamespace",
      protect: true,
      inputs: expect.objectContaining({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: expect.objectContaining({ name: "alice-dev" }),
      }),
    });
  });

  it("is the plan buildPlan computes in-process: one way of evaluating a program", async () => {
    const inProcess = JSON.parse(JSON.stringify(await buildPlan(await loadExample(), LAYERS)));
    expect(JSON.parse(json.stdout)).toEqual(inProcess);
  });

  it("the contract check rejects plans that break it", () => {
    const good = () => JSON.parse(json.stdout);
    const broken: [string, (p: ReturnType<typeof good>) => void, RegExp][] = [
      ["unsorted tenants", (p) => p.tenants.reverse(), /^tenants: tenant ids are not sorted$/],
      [
        "protect as a string",
        (p) => (p.stacks[0].resources[0].protect = "true"),
        /^stacks\.0\.resources\.0\.protect: /,
      ],
      ["null tenant", (p) => (p.stacks[0].resources[0].tenant = null), /^stacks\.0\.resources\.0\.tenant: /],
      ["missing inputs", (p) => delete p.stacks[0].resources[3].inputs, /^stacks\.0\.resources\.3\.inputs: /],
      [
        "not a type token",
        (p) => (p.stacks[0].resources[0].type = "ClusterRole"),
        /^stacks\.0\.resources\.0\.type: /,
      ],
      ["unknown field", (p) => (p.stacks[0].resources[0].urn = "urn:x"), /^stacks\.0\.resources\.0: .*urn/],
      [
        "wrong stack name",
        (p) => (p.stacks[0].stack = "platform"),
        /^stacks\.0\.stack: not example-platform$/,
      ],
      ["dependsOn not an array", (p) => (p.stacks[0].dependsOn = "vault"), /^stacks\.0\.dependsOn: /],
      [
        "no namespaces output",
        (p) => delete p.stacks[0].outputs.tenants.bob.namespaces,
        /^stacks\.0\.outputs: /,
      ],
      [
        "a tenant no one planned",
        (p) => (p.stacks[0].resources.at(-1).tenant = "zed"),
        /tenant: not a planned tenant$/,
      ],
    ];
    for (const [what, edit, message] of broken) {
      const p = good();
      edit(p);
      const problems = contractProblems(p);
      expect(problems.length, what).toBeGreaterThan(0);
      expect(problems.join("\n"), what).toMatch(message);
    }
  });
});

describe("tenancy plan (readable)", () => {
  it("prints the tree: per stack, per tenant, one line per resource", () => {
    const r = runCli(["plan"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const all = r.stdout.split("\n");
    expect(all[0]).toBe("environment example: 4 tenants");
    // the platform stack's section: from its heading to the next blank line
    // 177 objects on three clusters and a provider for each (test/plan/k8s-schema.test.ts counts them)
    const start = all.indexOf("example-platform (layer platform): 180 resources");
    expect(start).toBeGreaterThan(0);
    const end = all.indexOf("", start);
    const lines = all.slice(start, end === -1 ? undefined : end);
    expect(lines.filter((l) => /^ {2}\S/.test(l))).toEqual([
      "  (shared)",
      "  alice",
      "  bob",
      "  carol",
      "  dave  (offboarding: access revoked, data unprotected)",
    ]);
    // several clusters: each object says which it is on
    for (const line of [
      "    ClusterRole tenancy-cluster-reader @main",
      "    ClusterRole tenancy-cluster-reader @us-east",
      "    Namespace alice-dev @main  [protected]",
      "    Namespace alice-dev @eu-gpu  [protected]",
      "    Namespace dave @main",
      "    RoleBinding bob-staging/tenant-member-alice @main",
      "    ClusterRoleBinding tenancy-tenant-carol @main",
      "    Certificate alice/tenant-tls @main",
      "    Certificate bob-prod/tenant-tls @us-east",
      "    RoleBinding alice-dev/tenancy-grant.gpu-jobs @eu-gpu",
    ])
      expect(lines).toContain(line);
    // the edge: DNS records and app instances, per tenant
    for (const line of [
      "example-dns (layer dns): 7 resources",
      "    DnsRecord CNAME alice.example.com -> 6ff42ae2-765d-4adf-8112-31c55c1551ef.cfargotunnel.com",
      "    DnsRecord CNAME bob.budget.apps.example.com -> 6ff42ae2-765d-4adf-8112-31c55c1551ef.cfargotunnel.com",
      "example-apps (layer apps, after platform): 16 resources",
      "    Deployment alice/jupyter",
      "    Ingress alice/jupyter",
      "    PersistentVolumeClaim alice/code-server-data  [protected]",
      "    Deployment actual-budget/actual-budget-bob",
      "    Namespace actual-budget  [protected]",
    ])
      expect(all).toContain(line);
  });

  it("--layer platform --tenant alice lists only alice's and the shared resources", () => {
    const r = runCli(["plan", "--layer", "platform", "--tenant", "alice"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    // 78 shared (per cluster: a provider, 9 ClusterRoles, 8 admission policies and 8 bindings); alice on main:
    // 2 namespaces x 10 objects, a certificate, 2 owner bindings, bob's member binding (no cluster binding: her
    // tier has no clusterReader); on eu-gpu: alice-dev's 10, its owner and member bindings, the gpu-jobs grant
    // and the node-viewer grant
    expect(lines).toContain("example-platform (layer platform): 116 resources");
    expect(lines.filter((l) => /^ {2}\S/.test(l))).toEqual(["  (shared)", "  alice"]);
    expect(lines).toContain("    RoleBinding alice-dev/tenant-member-bob @main");
    expect(lines).toContain("    RoleBinding alice-dev/tenant-member-bob @eu-gpu");
    expect(lines).toContain("    ClusterRoleBinding tenancy-grant.alice.node-viewer @eu-gpu");
    expect(r.stdout).not.toMatch(/bob-|carol|dave/);
  });

  it("--tenant nosuch is a usage error: exit 2", () => {
    const r = runCli(["plan", "--tenant", "nosuch"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("tenancy: no such tenant: nosuch\n");
  });
});
