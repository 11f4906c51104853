/**
 * The per-user app factory: an AppInstance per (tenant, catalog app), with its volume, Deployment, Service,
 * Ingress and certificate; disabled keeps only the volume; offboarding scales to zero, drops ingress and DNS
 * and unprotects the volume. App hosts are claimed like domains. Every object validates against its schema.
 */
import { describe, expect, it } from "vitest";
import { buildPlan, describeResource, type PlannedResource } from "../../../plan/plan";
import type { RegistryModel } from "../../../registry/model";
import { InvalidInputError } from "../../../components/core/problems";
import type { TenantFileInput } from "../../../registry/schema";
import { LAYERS } from "../../../stacks/layers";
import { parseQuantity } from "../../../components/core/quantity";
import { validateK8sObject } from "../../helpers/k8s-schema";
import { podSecurityViolations } from "../../helpers/pod-security";
import { exampleEnvironmentData, loadExample, registryOf } from "../../plan/registries";

async function apps(model: RegistryModel): Promise<PlannedResource[]> {
  return (await buildPlan(model, LAYERS, { layers: ["apps"] })).stacks.find((s) => s.layer === "apps")!
    .resources;
}
const objects = (rs: PlannedResource[], tenant?: string) =>
  rs.filter((r) => r.type.startsWith("kubernetes:") && (tenant === undefined || r.tenant === tenant));
const names = (rs: PlannedResource[]) => rs.map(describeResource).sort();

const problems = (tenants: Record<string, TenantFileInput>, env: unknown = exampleEnvironmentData()) => {
  try {
    registryOf(tenants, env);
    return [];
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    return e.problems.map((p) => `${p.source}: ${p.path.join(".")}: ${p.message}`);
  }
};

describe("app instances in the example", () => {
  it("alice: jupyter running in her namespace, code-server disabled (its volume only)", async () => {
    const rs = objects(await apps(await loadExample()), "alice");
    expect(names(rs)).toEqual([
      "Certificate alice/jupyter-tls",
      "Deployment alice/jupyter",
      "Ingress alice/jupyter",
      "PersistentVolumeClaim alice/code-server-data",
      "PersistentVolumeClaim alice/jupyter-data",
      "Service alice/jupyter",
    ]);
    for (const r of rs) validateK8sObject(r.inputs);
    const pvc = rs.find((r) => describeResource(r) === "PersistentVolumeClaim alice/jupyter-data")!;
    expect(pvc.protect).toBe(true);
    // alice asked for 20Gi; the catalog's default is 10Gi
    expect(
      (pvc.inputs.spec as { resources: { requests: { storage: string } } }).resources.requests.storage,
    ).toBe("20Gi");
    const ingress = rs.find((r) => describeResource(r) === "Ingress alice/jupyter")!;
    expect(ingress.inputs.spec).toEqual({
      ingressClassName: "nginx",
      rules: [
        {
          host: "alice.jupyter.apps.example.com",
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: "jupyter", port: { name: "http" } } },
              },
            ],
          },
        },
      ],
      tls: [{ hosts: ["alice.jupyter.apps.example.com"], secretName: "jupyter-tls" }],
    });
  });

  it("bob: Actual Budget in the app's shared namespace, restricted and fenced, reserved to the platform", async () => {
    const rs = await apps(await loadExample());
    expect(names(objects(rs, "bob"))).toEqual([
      "Certificate actual-budget/actual-budget-bob-tls",
      "Deployment actual-budget/actual-budget-bob",
      "Ingress actual-budget/actual-budget-bob",
      "PersistentVolumeClaim actual-budget/actual-budget-bob-data",
      "Service actual-budget/actual-budget-bob",
    ]);
    const shared = rs.filter((r) => r.tenant === undefined && r.type.startsWith("kubernetes:"));
    expect(names(shared)).toEqual([
      "Namespace actual-budget",
      "NetworkPolicy actual-budget/tenancy-default-deny",
      "NetworkPolicy actual-budget/tenancy-dns-egress",
      "NetworkPolicy actual-budget/tenancy-from-ingress-controller",
    ]);
    for (const r of shared) validateK8sObject(r.inputs);
    const ns = shared.find((r) => r.type === "kubernetes:core/v1:Namespace")!;
    expect(
      (ns.inputs.metadata as { labels: Record<string, string> }).labels["pod-security.kubernetes.io/enforce"],
    ).toBe("restricted");
    expect(problems({ mallory: { email: "m@example.com", namespaces: ["actual-budget"] } })).toEqual([
      'tenants/mallory.yaml: namespaces.0: "actual-budget" is a reserved namespace (platform or system); choose another name',
    ]);
  });
});

describe("enabled, disabled, offboarding", () => {
  const tenant = (
    over: Partial<TenantFileInput> = {},
    app: object = {},
  ): Record<string, TenantFileInput> => ({
    erin: { email: "erin@example.com", apps: [{ name: "jupyter", ...app }], ...over },
  });

  it("disabled: only the data volume, still protected; no DNS record", async () => {
    const model = registryOf(tenant({}, { enabled: false }));
    expect(names(objects(await apps(model)))).toEqual(["PersistentVolumeClaim erin/jupyter-data"]);
    expect(objects(await apps(model))[0]!.protect).toBe(true);
    const dns = (await buildPlan(model, LAYERS, { layers: ["dns"] })).stacks[0]!.resources;
    expect(dns.filter((r) => r.type.startsWith("cloudflare:index/dnsRecord"))).toEqual([]);
  });

  it("offboarding: scaled to zero, no ingress nor certificate, the volume unprotected", async () => {
    const model = registryOf(tenant({ offboarding: true }));
    const rs = objects(await apps(model));
    expect(names(rs)).toEqual([
      "Deployment erin/jupyter",
      "PersistentVolumeClaim erin/jupyter-data",
      "Service erin/jupyter",
    ]);
    expect(
      (rs.find((r) => r.type.endsWith(":Deployment"))!.inputs.spec as { replicas: number }).replicas,
    ).toBe(0);
    expect(rs.every((r) => !r.protect)).toBe(true);
  });

  it("adding an instance for a user is a registry change only: the catalog entry does the rest", async () => {
    const before = objects(await apps(registryOf(tenant({}, { enabled: false }))));
    const after = objects(await apps(registryOf(tenant())));
    expect(after.length - before.length).toBe(4);
  });
});

describe("validation of app instances", () => {
  it("refuses a domain that covers or takes an app host, on the squatter's file: the instance stands (issue 25)", () => {
    // before issue 25 the domain stood and bob's instance was refused: the catalog's hosts were anyone's
    const where = '"{tenant}.jupyter.apps.example.com": catalog.jupyter.host in environments/example.yaml';
    expect(
      problems({
        alice: { email: "alice@example.com", domains: ["jupyter.apps.example.com"] },
        bob: { email: "bob@example.com", apps: [{ name: "jupyter" }] },
      }),
    ).toEqual([
      `tenants/alice.yaml: domains.0: "jupyter.apps.example.com" covers the hosts of catalog app "jupyter" (${where}), served by the platform`,
    ]);
    expect(
      problems({
        alice: { email: "alice@example.com", domains: ["bob.jupyter.apps.example.com"] },
        bob: { email: "bob@example.com", apps: [{ name: "jupyter" }] },
      }),
    ).toEqual([
      `tenants/alice.yaml: domains.0: "bob.jupyter.apps.example.com" is the host of catalog app "jupyter" (${where}) for a tenant of that id, served by the platform`,
    ]);
  });

  it("refuses a tenant-placed app in a namespace the tenant does not own, or too big for its limits", () => {
    expect(
      problems({ erin: { email: "erin@example.com", apps: [{ name: "jupyter", namespace: "other" }] } }),
    ).toEqual(['tenants/erin.yaml: apps.0.namespace: "other" is not a namespace of tenant "erin"']);
    const env = exampleEnvironmentData();
    env.catalog.jupyter.resources.limits.memory = "6Gi";
    expect(problems({ erin: { email: "erin@example.com", apps: [{ name: "jupyter" }] } }, env)).toEqual([
      'tenants/erin.yaml: apps.0.name: app "jupyter" needs limits.memory "6Gi", above the "4Gi" a container may have in namespace "erin"',
    ]);
  });

  it("refuses catalog entries with an unpinned image or a host without {tenant}", () => {
    const env = exampleEnvironmentData();
    env.catalog.jupyter.image = "quay.io/jupyter/minimal-notebook:latest";
    env.catalog.jupyter.host = "jupyter.apps.example.com";
    expect(problems({ erin: { email: "erin@example.com" } }, env)).toEqual([
      'environments/example.yaml: catalog.jupyter.image: "quay.io/jupyter/minimal-notebook:latest" is not an image pinned by tag (not latest) or digest, e.g. actualbudget/actual-server:25.1.0',
      'environments/example.yaml: catalog.jupyter.host: "jupyter.apps.example.com" is not a host pattern with "{tenant}" (and optionally "{app}"), e.g. "{tenant}.budget.example.com"',
    ]);
  });
});

describe("every catalog entry's pod, in every tier", () => {
  const env = exampleEnvironmentData();
  const tiers = Object.keys(env.tiers) as string[];
  const catalog = Object.keys(env.catalog) as string[];

  it.each(catalog.flatMap((app) => tiers.map((tier) => [app, tier])))(
    "%s on the %s tier: passes its namespace's Pod Security level and fits its LimitRange and quota",
    async (app, tier) => {
      const model = registryOf({ erin: { email: "erin@example.com", tier, apps: [{ name: app }] } }, env);
      const rs = objects(await apps(model));
      const deployment = rs.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
      validateK8sObject(deployment.inputs);
      // the level enforced where it runs: the tenant's (its tier's) or a shared namespace's (restricted)
      const erin = model.tenants[0]!;
      const shared = env.catalog[app].placement === "shared";
      const level = shared ? "restricted" : erin.podSecurity.enforce;
      expect(podSecurityViolations(deployment.inputs, level)).toEqual([]);
      // and the strictest level whatever the namespace enforces
      expect(podSecurityViolations(deployment.inputs, "restricted")).toEqual([]);
      if (shared) return;
      const ns = erin.namespaces[0]!;
      const container = (
        deployment.inputs.spec as {
          template: {
            spec: {
              containers: {
                resources: { requests: Record<string, string>; limits: Record<string, string> };
              }[];
            };
          };
        }
      ).template.spec.containers[0]!;
      for (const res of ["cpu", "memory"] as const) {
        const max = ns.limits.max?.[res];
        if (max)
          expect(
            parseQuantity(container.resources.limits[res]!)! <= parseQuantity(max)!,
            `limits.${res}`,
          ).toBe(true);
        const quotaReq = ns.quota[`requests.${res}`];
        if (quotaReq)
          expect(
            parseQuantity(container.resources.requests[res]!)! <= parseQuantity(quotaReq)!,
            `requests.${res}`,
          ).toBe(true);
        const quotaLim = ns.quota[`limits.${res}`];
        if (quotaLim)
          expect(
            parseQuantity(container.resources.limits[res]!)! <= parseQuantity(quotaLim)!,
            `quota limits.${res}`,
          ).toBe(true);
      }
      const storage = ns.quota["requests.storage"];
      const pvc = rs.find((r) => r.type === "kubernetes:core/v1:PersistentVolumeClaim");
      if (storage && pvc) {
        const size = (pvc.inputs.spec as { resources: { requests: { storage: string } } }).resources.requests
          .storage;
        expect(parseQuantity(size)! <= parseQuantity(storage)!, "requests.storage").toBe(true);
      }
    },
  );

  it("the check catches a pod that would not pass (a control)", async () => {
    const rs = objects(
      await apps(registryOf({ erin: { email: "erin@example.com", apps: [{ name: "jupyter" }] } }, env)),
    );
    const deployment = structuredClone(
      rs.find((r) => r.type === "kubernetes:apps/v1:Deployment")!.inputs,
    ) as {
      spec: { template: { spec: { containers: { securityContext: Record<string, unknown> }[] } } };
    };
    delete deployment.spec.template.spec.containers[0]!.securityContext.allowPrivilegeEscalation;
    expect(podSecurityViolations(deployment, "restricted").join("\n")).toMatch(
      /allowPrivilegeEscalation != false/,
    );
  });
});
