/**
 * A CI role per namespace (issue 27, item 7): the seed setup gives each namespace its own CI role (tokens of an
 * hour); `ci.perTenant.rolePer: namespace` makes per tenant and namespace of its `ci.namespaces` a Vault JWT role
 * `ci_ns_<namespace>`, bound to the tenant's claims and `namespaceClaim` (default `environment`) = the namespace,
 * reaching that namespace's deployer credentials only; `ci.perTenant.ttlSeconds` its tokens' TTL. The default
 * (`tenant`) plans what it planned before. Planned roles, access rows and can-i, validation.
 */
import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../../components/core/problems";
import { accessMatrix } from "../../../plan/access";
import { canI } from "../../../plan/can-i";
import { type Plan, buildPlan } from "../../../plan/plan";
import type { RegistryModel, TenantDocument } from "../../../registry/model";
import { LAYERS } from "../../../stacks/layers";
import { exampleEnvironmentData, exampleWithEnvironment } from "../../plan/registries";

const BOB_CLAIMS = { repository_owner: "bob-team", repository_owner_id: "48151623" };

async function planWith(
  edit: (perTenant: Record<string, unknown>) => void = () => {},
): Promise<{ model: RegistryModel; plan: Plan }> {
  const env = exampleEnvironmentData();
  edit(env.ci.perTenant);
  const model = exampleWithEnvironment(env);
  return { model, plan: await buildPlan(model, LAYERS) };
}

const jwtRoles = (plan: Plan) =>
  plan.stacks
    .flatMap((s) => s.resources)
    .filter((r) => r.type === "vault:jwt/authBackendRole:AuthBackendRole")
    .map((r): Record<string, unknown> => ({ ...r.inputs, name: r.name, tenant: r.tenant }));

/** The deployer credentials path of a namespace (vault.kubernetesSecretsMount of the example: kubernetes). */
const creds = (ns: string) => `kubernetes/creds/${ns}-deployer`;

describe("ci.perTenant.rolePer", () => {
  it("tenant (the default): one role ci-<tenant> reaching every namespace of its ci.namespaces, as before", async () => {
    const { plan } = await planWith();
    expect(jwtRoles(plan).map((r) => [r.name, r.roleName, r.boundClaims])).toEqual([
      ["bob-role", "ci-bob", BOB_CLAIMS],
    ]);
  });

  it("namespace: a role ci_ns_<namespace> per namespace, bound to the tenant's claims and the namespace, TTL as set", async () => {
    const { model, plan } = await planWith((p) => {
      p.rolePer = "namespace";
      p.ttlSeconds = 3600;
    });
    const bob = model.tenants.find((t) => t.id === "bob")!;
    expect(bob.ci!.namespaces).toEqual(["bob-prod", "bob-staging"]);
    const roles = jwtRoles(plan);
    expect(
      roles.map((r) => [r.name, r.tenant, r.roleName, r.boundClaims, r.tokenTtl, r.tokenMaxTtl]),
    ).toEqual(
      ["bob-prod", "bob-staging"].map((ns) => [
        `bob-role/${ns}`,
        "bob",
        `ci_ns_${ns}`,
        { ...BOB_CLAIMS, environment: ns },
        3600,
        3600,
      ]),
    );
    const rows = accessMatrix(model, plan);
    for (const [own, other] of [
      ["bob-prod", "bob-staging"],
      ["bob-staging", "bob-prod"],
    ]) {
      const principal = `vault-jwt:jwt/ci_ns_${own}`;
      const can = (ns: string) =>
        canI(rows, { principal, verb: "update", resource: "", path: creds(ns) }).allowed;
      expect(can(own!), own).toBe(true);
      // not the tenant's other namespace, not another tenant's
      for (const ns of [other!, "alice", "alice-dev", "carol"])
        expect(can(ns), `${own} -> ${ns}`).toBe(false);
    }
    // and the per-tenant role is gone
    expect(rows.some((r) => r.principal === "vault-jwt:jwt/ci-bob")).toBe(false);
  });

  it("namespace, with another namespaceClaim", async () => {
    const { plan } = await planWith((p) => {
      p.rolePer = "namespace";
      p.namespaceClaim = "job_workflow_ref";
    });
    expect(jwtRoles(plan).map((r) => [r.roleName, r.boundClaims, r.tokenTtl])).toEqual([
      ["ci_ns_bob-prod", { ...BOB_CLAIMS, job_workflow_ref: "bob-prod" }, 900],
      ["ci_ns_bob-staging", { ...BOB_CLAIMS, job_workflow_ref: "bob-staging" }, 900],
    ]);
  });

  it("switching the mode never makes a role or policy under a name the other mode used", async () => {
    // a namespace named like a tenant with CI (its default namespace): before, both modes named it ci-<name>,
    // and the switch's create-then-delete would have deleted the role it had just made
    const vaultNames = (plan: Plan) =>
      plan.stacks
        .flatMap((s) => s.resources)
        .filter(
          (r) =>
            r.type === "vault:index/policy:Policy" || r.type === "vault:jwt/authBackendRole:AuthBackendRole",
        )
        .map((r) => String(r.inputs.name ?? r.inputs.roleName))
        // the CI roles and their policies (the tenants' own policies stay the same in both modes)
        .filter((n) => /^ci[-_]/.test(n));
    const carolCi = (doc: TenantDocument): TenantDocument =>
      doc.id === "carol"
        ? { ...doc, data: { ...(doc.data as object), ci: { boundClaims: { repository_owner_id: "777" } } } }
        : doc;
    const plans = await Promise.all(
      (["tenant", "namespace"] as const).map(async (mode) => {
        const env = exampleEnvironmentData();
        env.ci.perTenant.rolePer = mode;
        return buildPlan(exampleWithEnvironment(env, carolCi), LAYERS);
      }),
    );
    const [byTenant, byNamespace] = plans.map(vaultNames);
    expect(byTenant).toContain("ci-carol");
    expect(byNamespace).toContain("ci_ns_carol");
    expect(byTenant!.filter((n) => byNamespace!.includes(n))).toEqual([]);
  });

  it("refuses a tenant binding the namespace claim itself, a namespaceClaim that names a tenant, an unknown mode", async () => {
    const env = exampleEnvironmentData();
    env.ci.perTenant.rolePer = "namespace";
    expect(() =>
      exampleWithEnvironment(env, (doc) =>
        doc.id === "bob"
          ? {
              ...doc,
              data: { ...(doc.data as object), ci: { boundClaims: { ...BOB_CLAIMS, environment: "prod" } } },
            }
          : doc,
      ),
    ).toThrow(/ci\.boundClaims\.environment.*names the namespace of each CI role/s);
    await expect(
      planWith((p) => ((p.rolePer = "namespace"), (p.namespaceClaim = "repository_owner_id"))),
    ).rejects.toThrow(/namespaceClaim.*the namespace's value would replace the tenant's own/s);
    await expect(planWith((p) => (p.rolePer = "project"))).rejects.toBeInstanceOf(InvalidInputError);
  });
});
