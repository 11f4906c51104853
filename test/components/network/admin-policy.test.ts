/**
 * AdminNetworkPolicies (`network.adminNetworkPolicy`, components/network/admin-policy.ts and layer.ts): off, the plan
 * is the plan without them; on, one per tenant and cluster its namespaces are on, valid against the vendored CRD
 * schema of network-policy-api v0.1.8 (test/fixtures/crds, CEL rules included), protected like the namespaces'
 * fences. Evaluated with the reach evaluator (test/helpers/network-reach.ts) on the planned NetworkPolicies and
 * AdminNetworkPolicies plus the NetworkPolicies tenants get admitted by a cluster without the networkPolicies
 * admission policy: no hostile tenant policy opens another tenant, the ingress controller or a reserved range,
 * while the platform's flows (DNS, the ingress controller, the extras, the tenant's own namespaces as network.from
 * says) and a tenant's own allowances still work.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { LAYERS } from "../../../stacks/layers";
import { type Plan, buildPlan } from "../../../plan/plan";
import { adminNetworkPolicy } from "../../../components/network/admin-policy";
import type { NetworkSettings } from "../../../components/network/policy";
import { admit, clusterOf, request } from "../../helpers/admission";
import { validateK8sObject } from "../../helpers/k8s-schema";
import { type Connection, type NetworkWorld, decide } from "../../helpers/network-reach";
import { exampleEnvironmentData, exampleWithEnvironment, loadExample } from "../../plan/registries";
import { fingerprints } from "../../plan/fingerprints";
import { problemsOf } from "../../helpers/problems";

type Json = Record<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Env = any;
const ALICE = { username: "oidc:alice@example.com", groups: ["system:authenticated"] };
const BOB = { username: "oidc:bob@example.com", groups: ["system:authenticated"] };
const POD_RANGE = "10.244.0.0/16";

/** The example environment with AdminNetworkPolicies as given, and the networkPolicies admission policy on or off. */
function environment(anp: Json | undefined, networkPolicies = true): Env {
  const env = exampleEnvironmentData();
  if (anp) env.network.adminNetworkPolicy = anp;
  env.admission.policies = { ...env.admission.policies, networkPolicies };
  return env;
}
const planOf = (env: Env) => buildPlan(exampleWithEnvironment(env), LAYERS);
const resources = (plan: Plan) => plan.stacks.flatMap((s) => s.resources);
const adminPolicies = (plan: Plan) => resources(plan).filter((r) => r.inputs.kind === "AdminNetworkPolicy");
const nameOf = (o: Json) => (o.metadata as { name: string }).name;

describe("network.adminNetworkPolicy off (the default)", () => {
  it("emits nothing, and the plan is the plan without the switch, whatever its other settings", async () => {
    const example = await loadExample();
    expect(example.environment.network.adminNetworkPolicy).toEqual({
      enabled: false,
      priority: 50,
      release: false,
    });
    expect(adminPolicies(await buildPlan(example, LAYERS))).toEqual([]);
    const off = exampleWithEnvironment(environment({ enabled: false, priority: 7, release: true }));
    expect(await fingerprints(off)).toEqual(await fingerprints(example));
  });
});

describe("network.adminNetworkPolicy on", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planOf(environment({ enabled: true }));
  });

  it("one per tenant and cluster its namespaces are on, each valid against the CRD schema", () => {
    const anps = adminPolicies(plan);
    expect(anps.map((r) => [r.cluster, r.name, nameOf(r.inputs), r.tenant, r.protect])).toEqual([
      ["main", "alice-admin-network-policy", "tenancy-tenant-alice", "alice", true],
      ["eu-gpu", "eu-gpu:alice-admin-network-policy", "tenancy-tenant-alice", "alice", true],
      ["main", "bob-admin-network-policy", "tenancy-tenant-bob", "bob", true],
      ["us-east", "us-east:bob-admin-network-policy", "tenancy-tenant-bob", "bob", true],
      ["main", "carol-admin-network-policy", "tenancy-tenant-carol", "carol", true],
      // offboarding: kept (its namespace still stands), unprotected like its fences
      ["main", "dave-admin-network-policy", "tenancy-tenant-dave", "dave", false],
    ]);
    for (const r of anps) {
      expect(r.type).toBe("kubernetes:policy.networking.k8s.io/v1alpha1:AdminNetworkPolicy");
      expect(r.parentType).toBe("tenancy:k8s:TenantAdminNetworkPolicy");
      validateK8sObject(r.inputs);
    }
  });

  it("passes the tenant's own namespaces and the declared peers, and denies every other namespace and the reserved ranges", () => {
    const spec = adminPolicies(plan)[0]!.inputs.spec as {
      priority: number;
      subject: Json;
      ingress: { name: string; action: string }[];
      egress: { name: string; action: string; to: Json[] }[];
    };
    expect(spec.priority).toBe(50);
    expect(spec.subject).toEqual({ namespaces: { matchLabels: { "tenancy.io/tenant": "alice" } } });
    const rules = (rs: { name: string; action: string }[]) => rs.map((r) => `${r.action} ${r.name}`);
    expect(rules(spec.ingress)).toEqual([
      "Pass same-tenant",
      "Pass ingress-controller",
      "Pass extra-ingress-0",
      "Deny other-namespaces",
    ]);
    expect(rules(spec.egress)).toEqual([
      "Pass same-tenant",
      "Pass dns",
      "Deny other-namespaces",
      "Pass extra-egress-0",
      "Deny reserved",
    ]);
    expect(spec.egress.at(-1)!.to).toEqual([
      {
        networks: [
          "169.254.169.254/32",
          "169.254.0.0/16",
          "fd00:ec2::254/128",
          "10.0.0.0/20",
          "10.244.0.0/16",
          "10.96.0.0/12",
        ],
      },
    ]);
  });

  it("is protected like the fences: released on request, and the namespaces wait for it", async () => {
    const released = adminPolicies(await planOf(environment({ enabled: true, release: true })));
    expect(released.map((r) => r.protect)).toEqual([false, false, false, false, false, false]);
    // a namespace offboarding alone leaves its tenant's policy protected while another namespace there is not
    const env = environment({ enabled: true, priority: 900 });
    const oneOff = await buildPlan(
      exampleWithEnvironment(env, (doc) =>
        doc.id === "alice"
          ? {
              ...doc,
              data: {
                ...(doc.data as Json),
                namespaces: [
                  { name: "alice", offboarding: true },
                  ...(doc.data as { namespaces: unknown[] }).namespaces.slice(1),
                ],
              },
            }
          : doc,
      ),
      LAYERS,
    );
    const alice = adminPolicies(oneOff).filter((r) => r.tenant === "alice");
    expect(
      alice.map((r) => [r.cluster, r.protect, (r.inputs.spec as { priority: number }).priority]),
    ).toEqual([
      ["main", true, 900],
      ["eu-gpu", true, 900],
    ]);
  });
});

describe("the vendored CRD schema refuses broken AdminNetworkPolicies", () => {
  const valid = () =>
    adminNetworkPolicy(
      "alice",
      exampleWithEnvironment(environment(undefined)).environment.network,
      50,
    ) as unknown as Json & { spec: Json & { egress: Json[]; ingress: Json[] } };
  const problem = (o: Json) => {
    try {
      validateK8sObject(o);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  };

  it("accepts the planned one", () => {
    expect(problem(valid())).toBeUndefined();
  });

  it.each([
    [
      "a priority beyond 1000",
      (o: Json & { spec: Json }) => (o.spec.priority = 1001),
      /\/spec\/priority: must be <= 1000/,
    ],
    [
      "an action it does not know",
      (o: { spec: { egress: Json[] } }) => (o.spec.egress[0]!.action = "Drop"),
      /must be one of "Allow", "Deny", "Pass"/,
    ],
    [
      "a networks entry that is no CIDR (its CEL rule)",
      (o: { spec: { egress: Json[] } }) => (o.spec.egress.at(-1)!.to = [{ networks: ["10.0.0.1"] }]),
      /networks\/0: Invalid CIDR format provided/,
    ],
    [
      "a networks entry twice (a set)",
      (o: { spec: { egress: Json[] } }) =>
        (o.spec.egress.at(-1)!.to = [{ networks: ["10.0.0.0/8", "10.0.0.0/8"] }]),
      /duplicate entry "10.0.0.0\/8" in a set/,
    ],
    [
      "a peer with two fields",
      (o: { spec: { egress: Json[] } }) =>
        (o.spec.egress[0]!.to = [{ namespaces: {}, networks: ["10.0.0.0/8"] }]),
      /to\/0: must have at most 1 properties/,
    ],
    [
      "a rule without peers",
      (o: { spec: { ingress: Json[] } }) => (o.spec.ingress[0]!.from = []),
      /from: must have at least 1 items/,
    ],
    [
      "a port 0",
      (o: { spec: { egress: Json[] } }) =>
        (o.spec.egress[1]!.ports = [{ portNumber: { port: 0, protocol: "UDP" } }]),
      /port: must be >= 1/,
    ],
    [
      "a field the API does not have (which the API server would drop)",
      (o: { spec: Json }) => (o.spec.sameLabels = ["tenant"]),
      /unknown field "sameLabels"/,
    ],
    [
      "a subject of two kinds",
      (o: { spec: Json }) =>
        (o.spec.subject = { namespaces: {}, pods: { namespaceSelector: {}, podSelector: {} } }),
      /subject: must have at most 1 properties/,
    ],
  ] as [string, (o: never) => void, RegExp][])("%s", (_what, breakIt, message) => {
    const o = valid();
    breakIt(o as never);
    expect(problem(o)).toMatch(message);
  });

  it("holds the CRD's limits: more than 25 reserved ranges go in several peers, up to what validation allows", () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    const net: NetworkSettings & { reserved: string[] } = {
      dns: { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" } },
      ingressController: { namespace: "ingress-nginx" },
      extraIngress: Array.from({ length: 97 }, (_, i) => ({ namespace: `in-${i}` })),
      extraEgress: [
        ...Array.from({ length: 48 }, (_, i) => ({
          namespace: `out-${i}`,
          ports: [{ port: 443, protocol: "TCP" as const }],
        })),
        ...Array.from({ length: 48 }, (_, i) => ({ cidr: `192.168.${i}.0/24` })),
      ],
      reserved: many(2497),
    };
    const o = adminNetworkPolicy("alice", net, 1000) as unknown as {
      spec: { ingress: Json[]; egress: { to: Json[] }[] };
    };
    expect(o.spec.ingress).toHaveLength(100);
    expect(o.spec.egress).toHaveLength(100);
    expect(o.spec.egress.at(-1)!.to).toHaveLength(100);
    expect(problem(o as Json)).toBeUndefined();
    net.reserved.push("172.16.0.0/12");
    expect(problem(adminNetworkPolicy("alice", net, 1000) as Json)).toMatch(/must have at most 100 items/);
  }, 30_000);
});

describe("validation of the environment's network settings", () => {
  const problems = (env: Env): string[] => problemsOf(() => exampleWithEnvironment(env));

  it("refuses an extraEgress peer in the ingress controller's namespace (its admission webhook, CVE-2025-1974), switch or not", () => {
    for (const anp of [undefined, { enabled: true }]) {
      const env = environment(anp);
      env.network.extraEgress.push({ namespace: "ingress-nginx", ports: [{ port: 8443 }] });
      expect(problems(env)).toEqual([
        expect.stringMatching(
          /^environments\/example\.yaml: network\.extraEgress\[1\]\.namespace: "ingress-nginx" is the ingress controller's namespace .*CVE-2025-1974/,
        ),
      ]);
    }
  });

  it("refuses a priority outside 0-1000, and with the switch on what the CRD would refuse", () => {
    expect(problems(environment({ enabled: true, priority: 1001 }))).toEqual([
      expect.stringMatching(/network\.adminNetworkPolicy\.priority: .*1000/),
    ]);
    expect(problems(environment({ enabled: true, priority: -1 }))).toEqual([
      expect.stringMatching(/network\.adminNetworkPolicy\.priority: .*0/),
    ]);
    const env = environment({ enabled: true });
    env.network.extraEgress.push({ cidr: "010.1.0.0/16" });
    env.network.extraEgress.push(...Array.from({ length: 95 }, (_, i) => ({ cidr: `192.168.${i}.0/24` })));
    env.network.extraIngress.push(...Array.from({ length: 97 }, (_, i) => ({ namespace: `in-${i}` })));
    expect(problems(env)).toEqual([
      expect.stringMatching(/network\.extraIngress: has 98 namespace peers: .*at most 100/),
      expect.stringMatching(/network\.extraEgress: has 97 peers: .*at most 100/),
      expect.stringMatching(
        /network\.extraEgress\[1\]\.cidr: "010\.1\.0\.0\/16" is no CIDR as Kubernetes' CEL parses it/,
      ),
    ]);
    // the same environment with the switch off: a NetworkPolicy takes all of it
    env.network.adminNetworkPolicy = { enabled: false };
    expect(problems(env)).toEqual([]);
  });
});

describe("reach with AdminNetworkPolicies, on a cluster admitting every tenant NetworkPolicy", () => {
  /** The cluster `main` of a plan: its NetworkPolicies and AdminNetworkPolicies, and tenants' own as admitted. */
  function worldOf(plan: Plan, tenantPolicies: [typeof ALICE, Json][]): NetworkWorld {
    const view = clusterOf(plan, "main");
    const onMain = resources(plan).filter((r) => (r.cluster ?? "main") === "main");
    const of = (kind: string) => onMain.filter((r) => r.inputs.kind === kind).map((r) => r.inputs as Json);
    const namespaces = { ...view.cluster.namespaces };
    for (const n of ["kube-system", "ingress-nginx", "monitoring"])
      namespaces[n] = { "kubernetes.io/metadata.name": n };
    const admitted = tenantPolicies.filter(
      ([user, np]) => admit(view.pairs, view.cluster, request("CREATE", user, np)).allowed,
    );
    return {
      namespaces,
      policies: [...of("NetworkPolicy"), ...admitted.map(([, np]) => np)],
      adminPolicies: of("AdminNetworkPolicy"),
      podRange: POD_RANGE,
    };
  }
  const np = (ns: string, spec: Json): Json => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "mine", namespace: ns },
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [], egress: [], ...spec },
  });
  const byName = (n: string) => ({
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } },
  });
  const RESERVED_V4 = ["169.254.0.0/16", "10.0.0.0/20", "10.244.0.0/16", "10.96.0.0/12"];
  /** What alice and bob write: each opening its namespace to the other's, and the platform's and reserved ranges. */
  const HOSTILE: [typeof ALICE, Json][] = [
    [
      ALICE,
      np("alice", {
        ingress: [{ from: [byName("bob-staging")] }],
        egress: [{ to: [byName("bob-staging")] }],
      }),
    ],
    [BOB, np("bob-staging", { ingress: [{ from: [byName("alice")] }], egress: [{ to: [byName("alice")] }] })],
    [
      ALICE,
      np("alice", {
        ingress: [{ from: [{ namespaceSelector: {} }] }],
        egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }],
      }),
    ],
    [ALICE, np("alice", { policyTypes: ["Egress"], egress: [{ to: [byName("ingress-nginx")] }] })],
    [BOB, np("bob-prod", { policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: {} }] }] })],
  ];
  /** What a tenant may write with the admission policy on: the internet outside the reserved ranges, its own. */
  const OWN: [typeof ALICE, Json][] = [
    [
      ALICE,
      np("alice", {
        policyTypes: ["Egress"],
        egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: RESERVED_V4 } }] }],
      }),
    ],
    [ALICE, np("alice", { policyTypes: ["Ingress"], ingress: [{ from: [byName("alice-dev")] }] })],
    [ALICE, np("alice-dev", { policyTypes: ["Egress"], egress: [{ to: [byName("alice")] }] })],
  ];
  const pod = (namespace: string, labels: Record<string, string> = { app: "web" }) => ({ namespace, labels });
  const tcp = (port: number) => ({ port, protocol: "TCP" as const });
  const CROSS: [string, Connection][] = [
    ["bob-staging to alice", { from: pod("bob-staging"), to: pod("alice"), port: tcp(8080) }],
    ["alice to bob-staging", { from: pod("alice"), to: pod("bob-staging"), port: tcp(8080) }],
    [
      "bob-prod to alice (every namespace, at both ends)",
      { from: pod("bob-prod"), to: pod("alice"), port: tcp(8080) },
    ],
    ["alice to cloud metadata", { from: pod("alice"), to: { address: "169.254.169.254" }, port: tcp(80) }],
    ["alice to a node", { from: pod("alice"), to: { address: "10.0.0.10" }, port: tcp(10250) }],
    ["alice to a Service address", { from: pod("alice"), to: { address: "10.96.0.1" }, port: tcp(443) }],
    [
      "alice to the ingress controller's admission webhook",
      {
        from: pod("alice"),
        to: pod("ingress-nginx", { "app.kubernetes.io/name": "ingress-nginx" }),
        port: tcp(8443),
      },
    ],
  ];

  let on: Plan;
  let off: Plan;
  beforeAll(async () => {
    on = await planOf(environment({ enabled: true }, false));
    off = await planOf(environment(undefined, false));
  });

  it.each(CROSS)(
    "%s: denied with the switch on, open without it (the admission policy off)",
    (_what, conn) => {
      expect(decide(worldOf(on, HOSTILE), conn)).toBe("deny");
      expect(decide(worldOf(off, HOSTILE), conn)).toBe("allow");
    },
  );

  it("the platform's flows still work, hostile tenant policies or not", () => {
    for (const world of [worldOf(on, []), worldOf(on, HOSTILE)]) {
      const dns = pod("kube-system", { "k8s-app": "kube-dns" });
      expect(decide(world, { from: pod("alice"), to: dns, port: { port: 53, protocol: "UDP" } })).toBe(
        "allow",
      );
      expect(decide(world, { from: pod("alice"), to: dns, port: tcp(53) })).toBe("allow");
      const controller = pod("ingress-nginx", { "app.kubernetes.io/name": "ingress-nginx" });
      expect(decide(world, { from: controller, to: pod("alice"), port: tcp(8080) })).toBe("allow");
      const prometheus = pod("monitoring", { "app.kubernetes.io/name": "prometheus" });
      expect(decide(world, { from: prometheus, to: pod("bob-staging"), port: tcp(9090) })).toBe("allow");
      expect(decide(world, { from: pod("alice"), to: { address: "10.20.3.4" }, port: tcp(5432) })).toBe(
        "allow",
      );
      // network.from: bob-prod lets in none of bob's namespaces alice is invited to; bob-staging lets bob-prod in
      expect(decide(world, { from: pod("bob-prod"), to: pod("bob-staging"), port: tcp(8080) })).toBe("allow");
      expect(decide(world, { from: pod("bob-staging"), to: pod("bob-prod"), port: tcp(8080) })).toBe("deny");
      // what the platform does not declare stays closed: DNS pods on another port, other monitoring pods
      expect(decide(world, { from: pod("alice"), to: dns, port: tcp(80) })).toBe("deny");
      expect(
        decide(world, { from: pod("monitoring", { app: "other" }), to: pod("alice"), port: tcp(9090) }),
      ).toBe("deny");
    }
  });

  it("Pass keeps the tenant's own NetworkPolicies meaningful: they open its own namespaces and the internet, as before", async () => {
    const guarded = await planOf(environment({ enabled: true }, true));
    const world = worldOf(guarded, OWN);
    expect(world.policies.filter((p) => nameOf(p) === "mine")).toHaveLength(3);
    expect(decide(worldOf(guarded, []), { from: pod("alice-dev"), to: pod("alice"), port: tcp(8080) })).toBe(
      "deny",
    );
    expect(decide(world, { from: pod("alice-dev"), to: pod("alice"), port: tcp(8080) })).toBe("allow");
    expect(decide(world, { from: pod("alice"), to: { address: "8.8.8.8" }, port: tcp(443) })).toBe("allow");
    expect(
      decide(worldOf(guarded, []), { from: pod("alice"), to: { address: "8.8.8.8" }, port: tcp(443) }),
    ).toBe("deny");
  });
});
