/**
 * TenantNamespace: per namespace exactly a Namespace, ResourceQuota, LimitRange and the isolating
 * NetworkPolicies, with the labels, Pod Security levels, quota, limits and protection the registry asks for.
 * Run through the same harness as `tenancy plan`: the component alone under `runProgram`, and the whole
 * platform layer of the example registry under `buildPlan`.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type TenantNamespaceArgs, tenantNamespace } from "../../../components/namespace/specs";
import type { NetworkSettings } from "../../../components/network/policy";
import type { ProgramRun } from "../../../plan/harness";
import { runSpecs, testProvider } from "../../helpers/specs";
import type { PlannedResource } from "../../../plan/plan";
import type { RegistryModel } from "../../../registry/model";
import { validateK8sObject } from "../../helpers/k8s-schema";
import {
  findObject,
  isKubernetesObject,
  loadExample,
  objectNames,
  planPlatform,
} from "../../plan/registries";

let model: RegistryModel;
let planned: PlannedResource[];
beforeAll(async () => {
  model = await loadExample();
  planned = await planPlatform(model);
});

const NETWORK: NetworkSettings = {
  dns: { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" } },
  ingressController: { namespace: "ingress-nginx" },
};

function args(overrides: Partial<TenantNamespaceArgs> = {}): TenantNamespaceArgs {
  return {
    tenant: "acme",
    namespace: "acme-web",
    podSecurity: { enforce: "privileged", audit: "baseline", warn: "restricted", version: "v1.31" },
    quota: { pods: "7", "requests.cpu": "3" },
    limits: { default: { cpu: "250m" } },
    network: NETWORK,
    ...overrides,
  };
}

/** Runs one TenantNamespace under the plan harness; every Kubernetes object it makes must validate. */
async function runNamespace(a: TenantNamespaceArgs): Promise<ProgramRun> {
  const run = await runSpecs("test-namespace", (specs) => {
    tenantNamespace(specs, a.namespace, a, testProvider(specs));
  });
  for (const r of run.resources.filter(isKubernetesObject)) validateK8sObject(r.inputs);
  return run;
}

const objectsOf = (run: ProgramRun) => run.resources.filter((r) => r.custom) as PlannedResource[];
const spec = (r: PlannedResource) => r.inputs.spec;
const labels = (r: PlannedResource) => (r.inputs.metadata as { labels: Record<string, string> }).labels;
/** The planned objects in one namespace of the example plan (including the Namespace itself). */
const inNamespace = (ns: string) =>
  planned.filter((r) => {
    const meta = r.inputs.metadata as { name?: string; namespace?: string } | undefined;
    return r.inputs.kind === "Namespace" ? meta?.name === ns : meta?.namespace === ns;
  });

/** The objects of one namespace, without the environment's opt-in extras. */
const CORE = (ns: string) => [
  `LimitRange ${ns}/tenant-limits`,
  `Namespace ${ns}`,
  `NetworkPolicy ${ns}/tenancy-default-deny`,
  `NetworkPolicy ${ns}/tenancy-dns-egress`,
  `NetworkPolicy ${ns}/tenancy-from-ingress-controller`,
  `NetworkPolicy ${ns}/tenancy-same-tenant`,
  `ResourceQuota ${ns}/tenant-quota`,
];
const EXTRAS = (ns: string) => [
  `NetworkPolicy ${ns}/tenancy-extra-egress`,
  `NetworkPolicy ${ns}/tenancy-extra-ingress`,
];

describe("TenantNamespace on its own", () => {
  it("makes exactly the core objects when the environment has no extras", async () => {
    const run = await runNamespace(args());
    expect(objectNames(objectsOf(run))).toEqual(CORE("acme-web").sort());
    // Pulumi names are part of the URNs: pinned
    expect(
      objectsOf(run)
        .map((r) => r.name)
        .sort(),
    ).toEqual(
      [
        "acme-web-limits",
        "acme-web-namespace",
        "acme-web-netpol/default-deny",
        "acme-web-netpol/dns-egress",
        "acme-web-netpol/from-ingress-controller",
        "acme-web-netpol/same-tenant",
        "acme-web-quota",
      ].sort(),
    );
    // renamed to the child-name rule with an alias each, so no URN changes
    for (const r of run.resources.filter((x) => x.name.includes("-netpol/")))
      expect(r.aliases, r.name).toEqual([r.name.replace("-netpol/", "-netpol-")]);
    const components = run.resources.filter((r) => !r.custom);
    expect(components.map((r) => [r.type, r.name, r.tenant])).toEqual([
      ["tenancy:k8s:TenantNamespace", "acme-web", "acme"],
    ]);
    for (const r of objectsOf(run)) {
      expect(r.parentType, r.name).toBe("tenancy:k8s:TenantNamespace");
      expect(r.tenant, r.name).toBe("acme");
    }
  });

  it("adds extra-ingress / extra-egress only for the extras the environment has", async () => {
    const peer = { namespace: "monitoring", ports: [{ port: 9090, protocol: "TCP" as const }] };
    const both = await runNamespace(
      args({ network: { ...NETWORK, extraIngress: [peer], extraEgress: [{ cidr: "10.0.0.0/8" }] } }),
    );
    expect(objectNames(objectsOf(both))).toEqual([...CORE("acme-web"), ...EXTRAS("acme-web")].sort());
    const ingressOnly = await runNamespace(
      args({ network: { ...NETWORK, extraIngress: [peer], extraEgress: [] } }),
    );
    expect(objectNames(objectsOf(ingressOnly))).toEqual(
      [...CORE("acme-web"), "NetworkPolicy acme-web/tenancy-extra-ingress"].sort(),
    );
    const extraIngress = objectsOf(both).find((r) => r.name === "acme-web-netpol/extra-ingress")!;
    expect(spec(extraIngress)).toEqual({
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }],
          ports: [{ port: 9090, protocol: "TCP" }],
        },
      ],
    });
    const extraEgress = objectsOf(both).find((r) => r.name === "acme-web-netpol/extra-egress")!;
    expect(spec(extraEgress)).toEqual({
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8" } }] }],
    });
  });

  it("labels the Namespace with its tenant, the manager and each Pod Security mode and version", async () => {
    const run = await runNamespace(args());
    const ns = objectsOf(run).find((r) => r.inputs.kind === "Namespace")!;
    expect(ns.inputs.metadata).toEqual({
      name: "acme-web",
      // tenancy takes over the fields it sets on its namespaces (components/core/spec.ts, TAKE_OVER)
      annotations: { "pulumi.com/patchForce": "true" },
      labels: {
        "tenancy.io/tenant": "acme",
        "app.kubernetes.io/managed-by": "tenancy",
        "pod-security.kubernetes.io/enforce": "privileged",
        "pod-security.kubernetes.io/enforce-version": "v1.31",
        "pod-security.kubernetes.io/audit": "baseline",
        "pod-security.kubernetes.io/audit-version": "v1.31",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "v1.31",
      },
    });
    for (const r of objectsOf(run).filter((x) => x !== ns))
      expect(r.inputs.metadata, r.name).toEqual({
        name: (r.inputs.metadata as { name: string }).name,
        namespace: "acme-web",
        labels: { "tenancy.io/tenant": "acme", "app.kubernetes.io/managed-by": "tenancy" },
        annotations: { "pulumi.com/patchForce": "true" },
      });
  });

  it("passes the quota through as hard limits, and sets only the limit sections given", async () => {
    const run = await runNamespace(args());
    expect(spec(objectsOf(run).find((r) => r.inputs.kind === "ResourceQuota")!)).toEqual({
      hard: { pods: "7", "requests.cpu": "3" },
    });
    expect(spec(objectsOf(run).find((r) => r.inputs.kind === "LimitRange")!)).toEqual({
      limits: [{ type: "Container", default: { cpu: "250m" } }],
    });
  });

  it("allows the ingress controller's whole namespace when it names no pod labels", async () => {
    const run = await runNamespace(args());
    expect(spec(objectsOf(run).find((r) => r.name === "acme-web-netpol/from-ingress-controller")!)).toEqual({
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }],
        },
      ],
    });
  });

  it("protects the Namespace and its fences by default, nothing when told not to; everything goes only with it", async () => {
    const on = await runNamespace(args());
    const off = await runNamespace(args({ protect: false }));
    const protectedOf = (run: ProgramRun) =>
      objectsOf(run)
        .filter((r) => r.protect)
        .map((r) => r.name)
        .sort();
    // the fences: removing them would open the namespace; allowances only close it further
    expect(protectedOf(on)).toEqual([
      "acme-web-limits",
      "acme-web-namespace",
      "acme-web-netpol/default-deny",
      "acme-web-quota",
    ]);
    expect(protectedOf(off)).toEqual([]);
    expect(objectNames(objectsOf(off))).toEqual(objectNames(objectsOf(on)));
    // every object inside is deleted with the namespace (Kubernetes deletes its contents), never before it
    for (const run of [on, off]) {
      const ns = run.resources.find((r) => r.name === "acme-web-namespace")!;
      for (const r of run.resources.filter(
        (x) => x.custom && x !== ns && !x.type.startsWith("pulumi:providers:"),
      )) {
        expect(r.deletedWith, r.name).toBe(ns.urn);
        expect(r.dependsOn, r.name).toContain(ns.urn);
      }
    }
  });
});

describe("TenantNamespace in the example plan", () => {
  it("gives every namespace of the registry exactly its objects, tagged with its tenant", () => {
    const k8sObjects = planned
      .filter(isKubernetesObject)
      .filter((r) => r.parentType === "tenancy:k8s:TenantNamespace");
    const expected: string[] = [];
    for (const t of model.tenants)
      for (const ns of t.namespaces) {
        // a namespace serving a domain has its certificate (cert-manager mode), unless offboarding
        const tls =
          !t.offboarding && t.domains.some((d) => d.namespace === ns.name)
            ? [`Certificate ${ns.name}/tenant-tls`]
            : [];
        expected.push(...CORE(ns.name), ...EXTRAS(ns.name), `ConfigMap ${ns.name}/tenancy-admission`, ...tls);
        expect(
          objectNames(inNamespace(ns.name).filter((r) => r.parentType === "tenancy:k8s:TenantNamespace")),
        ).toEqual(
          [...CORE(ns.name), ...EXTRAS(ns.name), `ConfigMap ${ns.name}/tenancy-admission`, ...tls].sort(),
        );
        for (const r of inNamespace(ns.name).filter((x) => x.parentType === "tenancy:k8s:TenantNamespace"))
          expect(r.tenant, r.name).toBe(t.id);
      }
    expect(objectNames(k8sObjects)).toEqual(expected.sort());
    expect(model.tenants.flatMap((t) => t.namespaces.map((n) => n.name))).toEqual([
      "alice",
      "alice-dev",
      "bob-prod",
      "bob-staging",
      "carol",
      "dave",
    ]);
  });

  it("sets Pod Security from the environment: restricted unless a tier relaxes it", () => {
    const podSecurity = (ns: string) =>
      Object.fromEntries(
        Object.entries(labels(findObject(planned, "Namespace", ns))).filter(([k]) =>
          k.startsWith("pod-security."),
        ),
      );
    const levels = (enforce: string) => ({
      "pod-security.kubernetes.io/enforce": enforce,
      "pod-security.kubernetes.io/enforce-version": "v1.30",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/audit-version": "v1.30",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/warn-version": "v1.30",
    });
    // restricted is the default; no tier of the example relaxes it
    for (const ns of ["alice", "alice-dev", "carol", "dave", "bob-prod", "bob-staging"])
      expect(podSecurity(ns), ns).toEqual(levels("restricted"));
    expect(labels(findObject(planned, "Namespace", "bob-prod"))).toMatchObject({
      "tenancy.io/tenant": "bob",
      "app.kubernetes.io/managed-by": "tenancy",
    });
  });

  it("merges quota environment <- tier <- tenant <- namespace", () => {
    const hard = (ns: string) =>
      (spec(findObject(planned, "ResourceQuota", `${ns}/tenant-quota`)) as { hard: Record<string, string> })
        .hard;
    expect(hard("bob-prod")).toEqual({
      "requests.cpu": "4", // tier team
      "limits.cpu": "8", // tier
      "requests.memory": "8Gi", // tier
      "limits.memory": "16Gi", // tier
      "requests.storage": "10Gi", // environment
      persistentvolumeclaims: "5", // environment
      pods: "40", // tenant bob (tier says 50)
      services: "10", // environment
      "services.loadbalancers": "2", // namespace bob-prod (tier says 1)
      "services.nodeports": "0", // environment
      "requests.ephemeral-storage": "2Gi",
      "limits.ephemeral-storage": "4Gi",
      "count/configmaps": "50",
      "count/secrets": "50",
      "count/replicationcontrollers": "0",
      "count/resourcequotas": "1",
    });
    expect(hard("bob-staging")["services.loadbalancers"]).toBe("1");
    expect(hard("bob-staging").pods).toBe("40");
    expect(hard("alice-dev")["requests.cpu"]).toBe("2"); // namespace alice-dev
    expect(hard("alice-dev")["limits.memory"]).toBe("8Gi"); // namespace alice-dev
    expect(hard("alice")["requests.cpu"]).toBe("1"); // environment: the override stays in alice-dev
    expect(hard("alice").pods).toBe("20");
  });

  it("sets LimitRange container defaults environment <- tier <- tenant <- namespace", () => {
    const limits = (ns: string) => spec(findObject(planned, "LimitRange", `${ns}/tenant-limits`));
    expect(limits("alice")).toEqual({
      limits: [
        {
          type: "Container",
          defaultRequest: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "100Mi" },
          default: { cpu: "500m", memory: "512Mi", "ephemeral-storage": "1Gi" },
          max: { cpu: "2", memory: "4Gi" },
        },
      ],
    });
    expect(limits("alice-dev")).toEqual({
      limits: [
        {
          type: "Container",
          defaultRequest: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "100Mi" },
          default: { cpu: "1", memory: "512Mi", "ephemeral-storage": "1Gi" }, // namespace alice-dev sets default cpu
          max: { cpu: "2", memory: "4Gi" },
        },
      ],
    });
    expect(limits("bob-prod")).toEqual({
      limits: [
        {
          type: "Container",
          defaultRequest: { cpu: "200m", memory: "128Mi", "ephemeral-storage": "100Mi" }, // tenant bob sets the cpu request
          default: { cpu: "1", memory: "1Gi", "ephemeral-storage": "1Gi" }, // tier team (ephemeral: environment)
          max: { cpu: "4", memory: "8Gi" }, // tier team
        },
      ],
    });
  });

  it("denies all traffic in and out by default", () => {
    for (const ns of ["alice", "bob-prod", "dave"])
      expect(spec(findObject(planned, "NetworkPolicy", `${ns}/tenancy-default-deny`)), ns).toEqual({
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
      });
  });

  it("allows traffic within the tenant as each namespace's network.from says: the tenant's namespaces it names, no other", () => {
    const namespaces = planned.filter((r) => r.inputs.kind === "Namespace");
    const peer = (tenant: string, names: string[]) => ({
      namespaceSelector: {
        matchLabels: { "tenancy.io/tenant": tenant },
        matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: names }],
      },
    });
    // what a selector matches among the planned namespaces
    const selected = (p: ReturnType<typeof peer>) =>
      namespaces
        .filter((n) => {
          const l = labels(n);
          const { matchLabels, matchExpressions } = p.namespaceSelector;
          return (
            Object.entries(matchLabels).every(([k, v]) => l[k] === v) &&
            matchExpressions.every((e) => e.values.includes(l[e.key] ?? ""))
          );
        })
        .map((n) => (n.inputs.metadata as { name: string }).name);
    for (const t of model.tenants)
      for (const ns of t.namespaces) {
        const policy = spec(findObject(planned, "NetworkPolicy", `${ns.name}/tenancy-same-tenant`));
        const to = t.namespaces.filter((o) => o.reachFrom.includes(ns.name)).map((o) => o.name);
        expect(policy, ns.name).toEqual({
          podSelector: {},
          policyTypes: ["Ingress", "Egress"],
          ingress: [{ from: [peer(t.id, ns.reachFrom)] }],
          egress: [{ to: [peer(t.id, to)] }],
        });
        const own = t.namespaces.map((n) => n.name);
        expect(
          selected(peer(t.id, ns.reachFrom)).every((n) => own.includes(n)),
          ns.name,
        ).toBe(true);
      }
    // the default (members): bob invited alice to bob-staging only, so bob-staging does not reach bob-prod
    const bob = model.tenants.find((t) => t.id === "bob")!;
    expect(bob.namespaces.map((n) => [n.name, n.reachFrom])).toEqual([
      ["bob-prod", ["bob-prod"]],
      ["bob-staging", ["bob-staging", "bob-prod"]],
    ]);
  });

  it("allows DNS egress only to the DNS pods of the DNS namespace, port 53 UDP and TCP", () => {
    expect(spec(findObject(planned, "NetworkPolicy", "alice-dev/tenancy-dns-egress"))).toEqual({
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
              podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
          ],
          ports: [
            { port: 53, protocol: "UDP" },
            { port: 53, protocol: "TCP" },
          ],
        },
      ],
    });
  });

  it("allows ingress from the ingress controller, its namespace selected by kubernetes.io/metadata.name", () => {
    expect(spec(findObject(planned, "NetworkPolicy", "carol/tenancy-from-ingress-controller"))).toEqual({
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } },
              podSelector: { matchLabels: { "app.kubernetes.io/name": "ingress-nginx" } },
            },
          ],
        },
      ],
    });
  });

  it("opens the environment's extras: prometheus in on 9090, the database network out on 5432", () => {
    expect(spec(findObject(planned, "NetworkPolicy", "bob-prod/tenancy-extra-ingress"))).toEqual({
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
              podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
            },
          ],
          ports: [{ port: 9090, protocol: "TCP" }],
        },
      ],
    });
    expect(spec(findObject(planned, "NetworkPolicy", "bob-prod/tenancy-extra-egress"))).toEqual({
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [{ to: [{ ipBlock: { cidr: "10.20.0.0/16" } }], ports: [{ port: 5432, protocol: "TCP" }] }],
    });
  });

  it("protects the Namespaces and their fences, except the offboarding tenant's (dave), and nothing else", () => {
    const fenced = (ns: string) => [
      `LimitRange ${ns}/tenant-limits`,
      `Namespace ${ns}`,
      `NetworkPolicy ${ns}/tenancy-default-deny`,
      `ResourceQuota ${ns}/tenant-quota`,
    ];
    expect(objectNames(planned.filter((r) => r.protect))).toEqual(
      ["alice", "alice-dev", "bob-prod", "bob-staging", "carol"].flatMap(fenced).sort(),
    );
    const dave = findObject(planned, "Namespace", "dave");
    expect(dave.protect).toBe(false);
    expect(dave.tenant).toBe("dave");
  });
});
