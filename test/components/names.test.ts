/**
 * The physical names of every object others see, pinned for both profiles (`names.profile`): tenancy's own,
 * and the existing-installation profile, so that adopting such an installation updates its objects in place.
 * And the templates are validated like everything else.
 */
import { describe, expect, it } from "vitest";
import { LAYERS } from "../../stacks/layers";
import { type Plan, buildPlan } from "../../plan/plan";
import { parsePolicy } from "../../components/vault/policy";
import { exampleEnvironmentData, exampleWithEnvironment, registryOf } from "../plan/registries";

async function planWith(names: unknown): Promise<Plan> {
  const env = exampleEnvironmentData();
  env.tls = { mode: "copy", copy: { namespace: "cert-manager", secretName: "wildcard-tls" } };
  if (names !== undefined) env.names = names;
  return buildPlan(exampleWithEnvironment(env), LAYERS);
}

/** Every named object of alice (bob's member binding in alice-dev included), as `<kind> <namespace/>name`. */
function namedObjects(plan: Plan): string[] {
  const out: string[] = [];
  for (const r of plan.stacks.flatMap((s) => s.resources)) {
    // the default cluster's (the others hold the same names)
    if (r.tenant !== "alice" || (r.cluster !== undefined && r.cluster !== "main")) continue;
    const m = r.inputs.metadata as { name?: string; namespace?: string } | undefined;
    if (m?.name !== undefined)
      out.push(`${String(r.inputs.kind)} ${m.namespace ? `${m.namespace}/` : ""}${m.name}`);
    else if (r.type === "vault:index/policy:Policy")
      out.push(
        `Vault policy ${String(r.inputs.name)}: ${parsePolicy(String(r.inputs.policy))
          .map((p) => p.path)
          .filter((p) => p.includes("/creds/"))
          .join(", ")}`,
      );
    else if (r.type === "vault:kubernetes/secretBackendRole:SecretBackendRole")
      out.push(`Vault role ${String(r.inputs.name)} -> Role ${String(r.inputs.kubernetesRoleName)}`);
  }
  return out
    .filter((o) => !/^(NetworkPolicy|ConfigMap|Namespace|Deployment|Service|PersistentVolumeClaim) /.test(o))
    .sort();
}

describe("names", () => {
  it("tenancy's own profile (the default)", async () => {
    // alice's tier has no clusterReader: no cluster binding to name
    expect(namedObjects(await planWith(undefined))).toEqual([
      "Ingress alice/jupyter",
      "LimitRange alice-dev/tenant-limits",
      "LimitRange alice/tenant-limits",
      "ResourceQuota alice-dev/tenant-quota",
      "ResourceQuota alice/tenant-quota",
      "Role alice-dev/alice-dev-deployer",
      "Role alice/alice-deployer",
      "RoleBinding alice-dev/tenant-member-bob",
      "RoleBinding alice-dev/tenant-owner",
      "RoleBinding alice/tenant-owner",
      "Secret alice/tenant-tls",
      "Vault policy tenant-alice: kubernetes/creds/alice-deployer, kubernetes/creds/alice-dev-deployer",
      "Vault role alice-deployer -> Role alice-deployer",
      "Vault role alice-dev-deployer -> Role alice-dev-deployer",
    ]);
  });

  it("the existing-installation profile, and a template overridden", async () => {
    const plan = await planWith({ profile: "existing-installation", vaultPolicy: "{tenant}-policy" });
    expect(namedObjects(plan)).toEqual([
      "Ingress alice/jupyter",
      "LimitRange alice-dev/alice-dev-limits",
      "LimitRange alice/alice-limits",
      "ResourceQuota alice-dev/alice-dev-quota",
      "ResourceQuota alice/alice-quota",
      "Role alice-dev/alice-dev-deployer",
      "Role alice/alice-deployer",
      "RoleBinding alice-dev/namespace-member-bob",
      "RoleBinding alice-dev/namespace-owner-alice",
      "RoleBinding alice/namespace-owner-alice",
      "Secret alice/tls-alice",
      "Vault policy alice-policy: kubernetes/creds/alice-deployer, kubernetes/creds/alice-dev-deployer",
      "Vault role alice-deployer -> Role alice-deployer",
      "Vault role alice-dev-deployer -> Role alice-dev-deployer",
    ]);
    const all = plan.stacks
      .flatMap((s) => s.resources)
      .filter((r) => r.cluster !== "us-east" && r.cluster !== "eu-gpu");
    const name = (kind: string, tenant: string) =>
      all
        .filter((r) => r.inputs.kind === kind && r.tenant === tenant)
        .map((r) => (r.inputs.metadata as { name: string }).name);
    // per tenant role: power user bob, admin carol; bob invited alice into bob-staging
    expect(name("ClusterRoleBinding", "bob")).toEqual(["bob-read-only"]);
    expect(name("ClusterRoleBinding", "carol")).toEqual(["carol-admin"]);
    expect(name("RoleBinding", "bob")).toContain("namespace-member-alice");
    // an app instance in copy mode uses its namespace's secret, by its name
    const ingress = all.find((r) => r.inputs.kind === "Ingress" && r.tenant === "alice")!;
    expect((ingress.inputs.spec as { tls: { secretName: string }[] }).tls[0]!.secretName).toBe("tls-alice");
  });

  it("refuses a template with an unknown placeholder or characters no name may hold", () => {
    const env = exampleEnvironmentData();
    env.names = { quota: "{tenant}_quota", deployer: "{tenant}-deployer" };
    expect(() => exampleWithEnvironment(env)).toThrow(
      /names\.deployer: "\{tenant\}-deployer" is not a name template: lowercase letters, digits, "-" and "\.", with \{namespace\}/,
    );
    expect(() => exampleWithEnvironment(env)).toThrow(
      /names\.quota: "\{tenant\}_quota" is not a name template/,
    );
  });

  it("refuses a name a template would make too long, on the tenant's file; a 63-character namespace still fits", () => {
    const env = exampleEnvironmentData();
    env.names = { profile: "existing-installation" };
    env.names.vaultPolicy = "{tenant}-policy-" + "x".repeat(250);
    const long = `a${"b".repeat(62)}`;
    expect(() => registryOf({ alice: { email: "alice@example.com", namespaces: [long] } }, env)).toThrow(
      `tenants/alice.yaml: name template "{tenant}-policy-${"x".repeat(250)}" gives "alice-policy-${"x".repeat(250)}", not a valid object name (a DNS subdomain of at most 253 characters) (names in environments/example.yaml)`,
    );
  });
});
