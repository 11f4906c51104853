/**
 * The Vault and CI layers under the plan harness: per tenant exactly its policy, identity entity and alias,
 * and per namespace a deployer (a Kubernetes Role and a Kubernetes secrets engine role minting short-lived
 * tokens bound to it); nothing for an offboarding tenant and no KV data ever touched; the CI layer's shared
 * and per-tenant identities and its admin list. Every Kubernetes object is validated against the schema.
 */
import { LAYERS } from "../../../stacks/layers";
import { beforeAll, describe, expect, it } from "vitest";
import { sharedCiDeployer, tenantCiDeployer } from "../../../components/ci/specs";
import { type TenantVaultArgs, tenantVault } from "../../../components/vault/specs";
import { runSpecs, testProvider } from "../../helpers/specs";
import { type VaultPaths, parsePolicy } from "../../../components/vault/policy";
import { type Plan, type PlannedResource, type PlannedStack, buildPlan } from "../../../plan/plan";
import { capabilitiesOn } from "../../../components/vault/acl";
import type { RegistryModel } from "../../../registry/model";
import { validateK8sObject } from "../../helpers/k8s-schema";
import {
  exampleEnvironmentData,
  exampleWithEnvironment,
  exampleWithSharedCi,
  withSharedCi,
} from "../../plan/registries";

const T = {
  policy: "vault:index/policy:Policy",
  entity: "vault:identity/entity:Entity",
  alias: "vault:identity/entityAlias:EntityAlias",
  secretRole: "vault:kubernetes/secretBackendRole:SecretBackendRole",
  k8sAuthRole: "vault:kubernetes/authBackendRole:AuthBackendRole",
  jwtRole: "vault:jwt/authBackendRole:AuthBackendRole",
  role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
  configMap: "kubernetes:core/v1:ConfigMap",
};

/** The example tenants' namespaces (tenants/*.yaml), written out. dave is offboarding. */
const NAMESPACES: Record<string, string[]> = {
  alice: ["alice", "alice-dev"],
  bob: ["bob-prod", "bob-staging"],
  carol: ["carol"],
};
const EMAILS: Record<string, string> = {
  alice: "alice@example.com",
  bob: "bob@example.com",
  carol: "carol@example.com",
};
const ALL_ACTIVE_NAMESPACES = Object.values(NAMESPACES).flat();

/** schema.ts DEFAULT_DEPLOYER_RULES, written out: what the example's deployer Roles must carry. */
const DEFAULT_RULES = [
  {
    apiGroups: ["apps"],
    resources: ["deployments", "statefulsets"],
    verbs: ["get", "list", "watch", "patch", "update"],
  },
  { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list", "watch"] },
  {
    apiGroups: [""],
    resources: ["pods", "pods/log", "services", "configmaps"],
    verbs: ["get", "list", "watch"],
  },
];
const LABELS = (tenant: string) => ({
  "app.kubernetes.io/managed-by": "tenancy",
  "tenancy.io/tenant": tenant,
});

const stack = (plan: Plan, layer: string): PlannedStack => {
  const s = plan.stacks.find((x) => x.layer === layer);
  if (!s) throw new Error(`no ${layer} stack`);
  return s;
};
const all = (plan: Plan) => plan.stacks.flatMap((s) => s.resources);
const ofType = (rs: PlannedResource[], type: string) => rs.filter((r) => r.type === type);
const one = (rs: PlannedResource[], type: string, name: string): PlannedResource => {
  const found = rs.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1) throw new Error(`expected one ${type} ${name}, found ${found.length}`);
  return found[0]!;
};
const policyRules = (plan: Plan, name: string) => {
  const found = ofType(all(plan), T.policy).filter((p) => p.inputs.name === name);
  expect(found.length, `policy ${name}`).toBe(1);
  return parsePolicy(found[0]!.inputs.policy as string);
};
const creds = (mount: string, ns: string) => `${mount}/creds/${ns}-deployer`;

/** Every Kubernetes object of a plan validates against the Kubernetes schema; returns how many there were. */
function validateAll(plan: Plan): number {
  const objects = all(plan).filter((r) => r.type.startsWith("kubernetes:"));
  for (const r of objects) validateK8sObject(r.inputs);
  return objects.length;
}

/** The example registry in an edited environment; `withoutCi` drops those tenants' ci blocks. */
function environment(
  edit: (env: ReturnType<typeof exampleEnvironmentData>) => void,
  withoutCi: string[] = [],
): RegistryModel {
  const env = withSharedCi(exampleEnvironmentData());
  edit(env);
  return exampleWithEnvironment(env, (d) =>
    withoutCi.includes(d.id) ? { ...d, data: { ...(d.data as Record<string, unknown>), ci: undefined } } : d,
  );
}

let model: RegistryModel;
let plan: Plan;
beforeAll(async () => {
  // shared CI mode too (existing installations): the example itself has per-tenant CI only
  model = exampleWithSharedCi();
  plan = await buildPlan(model, LAYERS);
});

describe("TenantVault per tenant, in the example plan", () => {
  it.each(Object.keys(NAMESPACES))(
    "%s: exactly its policy, entity, alias and one deployer per namespace",
    (id) => {
      const vault = stack(plan, "vault").resources.filter((r) => r.tenant === id);
      const namespaces = NAMESPACES[id]!;
      expect(vault.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
        [
          `${T.policy} ${id}-policy`,
          `${T.entity} ${id}-entity`,
          `${T.alias} ${id}-alias`,
          ...namespaces.map((ns) => `${T.role} ${ns}-deployer-role`),
          ...namespaces.map((ns) => `${T.secretRole} ${ns}-deployer`),
        ].sort(),
      );
      for (const r of vault) expect(r.parentType, r.name).toBe("tenancy:vault:TenantVault");

      expect(one(vault, T.policy, `${id}-policy`).inputs.name).toBe(`tenant-${id}`);
      expect(one(vault, T.entity, `${id}-entity`).inputs).toEqual({
        name: id,
        policies: [`tenant-${id}`],
        metadata: { tenant: id, "managed-by": "tenancy" },
      });
      // the alias hangs off this entity: the mock runtime's id for it is "<resource name>-id"
      expect(one(vault, T.alias, `${id}-alias`).inputs).toEqual({
        name: EMAILS[id],
        mountAccessor: "auth_oidc_0a1b2c3d",
        canonicalId: `${id}-entity-id`,
      });
      expect(model.environment.oidc.vaultMountAccessor).toBe("auth_oidc_0a1b2c3d");

      for (const ns of namespaces) {
        const role = one(vault, T.role, `${ns}-deployer-role`);
        expect(role.inputs).toEqual({
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "Role",
          metadata: {
            name: `${ns}-deployer`,
            namespace: ns,
            labels: LABELS(id),
            annotations: { "pulumi.com/patchForce": "true" },
          },
          rules: DEFAULT_RULES,
        });
        validateK8sObject(role.inputs);
        expect(one(vault, T.secretRole, `${ns}-deployer`).inputs).toEqual({
          backend: "kubernetes",
          name: `${ns}-deployer`,
          allowedKubernetesNamespaces: [ns],
          kubernetesRoleName: `${ns}-deployer`,
          kubernetesRoleType: "Role",
          tokenDefaultTtl: 1800,
          tokenMaxTtl: 3600,
          // the tenant only: the secrets engine sets its own managed-by label over what is given (client.go)
          extraLabels: { "tenancy.io/tenant": id },
        });
      }
    },
  );

  it("the deployer Roles carry the environment's deployer rules", () => {
    expect(model.environment.vault.deployer.rules).toEqual(DEFAULT_RULES);
    const roles = ofType(stack(plan, "vault").resources, T.role);
    expect(roles.length).toBe(ALL_ACTIVE_NAMESPACES.length);
    for (const r of roles) expect(r.inputs.rules).toEqual(model.environment.vault.deployer.rules);
  });

  it("every Kubernetes object of the plan validates against the Kubernetes schema", () => {
    expect(validateAll(plan)).toBeGreaterThan(ALL_ACTIVE_NAMESPACES.length);
  });
});

describe("offboarding (dave)", () => {
  it("no policy, entity, alias or deployer roles at all, in any Vault or CI resource", () => {
    for (const layer of ["vault", "ci"]) {
      const s = stack(plan, layer);
      expect(s.resources.filter((r) => r.tenant === "dave")).toEqual([]);
      expect(JSON.stringify(s.resources)).not.toContain("dave");
    }
    // dave is still in the registry, and its namespace still planned (unprotected): the data stays
    expect(model.tenants.find((t) => t.id === "dave")?.offboarding).toBe(true);
    const ns = stack(plan, "platform").resources.filter(
      (r) => r.type === "kubernetes:core/v1:Namespace" && r.tenant === "dave",
    );
    expect(ns.map((r) => [(r.inputs.metadata as { name: string }).name, r.protect])).toEqual([
      ["dave", false],
    ]);
  });

  it("nothing in the plan writes or deletes KV data: the only Vault resources are policies, identities and roles", () => {
    const vaultTypes = new Set(
      all(plan)
        .filter((r) => r.type.startsWith("vault:"))
        .map((r) => r.type),
    );
    expect([...vaultTypes].sort()).toEqual(
      [T.policy, T.entity, T.alias, T.secretRole, T.k8sAuthRole, T.jwtRole].sort(),
    );
    expect(
      all(plan).filter((r) => /^vault:(kv|generic)\//.test(r.type) || r.type === "vault:index/mount:Mount"),
    ).toEqual([]);
  });
});

describe("CI layer", () => {
  it("shared mode: one Kubernetes auth role for woodpecker/woodpecker-ci, reaching every active tenant's deployer credentials", () => {
    const roles = ofType(all(plan), T.k8sAuthRole);
    expect(roles.length).toBe(1);
    const role = roles[0]!;
    expect(role.tenant).toBeUndefined();
    expect(role.inputs).toEqual({
      backend: "kubernetes",
      roleName: "woodpecker-deployer",
      boundServiceAccountNames: ["woodpecker-ci"],
      boundServiceAccountNamespaces: ["woodpecker"],
      tokenPolicies: ["ci_shared_woodpecker-deployer"],
      tokenTtl: 900,
    });
    const rules = policyRules(plan, "ci_shared_woodpecker-deployer");
    expect(rules.map((r) => r.path).sort()).toEqual(
      ALL_ACTIVE_NAMESPACES.map((ns) => creds("kubernetes", ns)).sort(),
    );
    for (const ns of ALL_ACTIVE_NAMESPACES)
      expect(capabilitiesOn(rules, creds("kubernetes", ns))).toEqual(["update"]);
    expect(capabilitiesOn(rules, creds("kubernetes", "dave"))).toEqual([]);
    expect(capabilitiesOn(rules, "secret/data/tenants/alice/x")).toEqual([]);
  });

  it("per-tenant mode: a JWT role ci-bob bound to bob's claims, its policy limited to bob's deployers", () => {
    const roles = ofType(all(plan), T.jwtRole);
    expect(roles.map((r) => [r.tenant, r.name])).toEqual([["bob", "bob-role"]]);
    expect(roles[0]!.inputs).toEqual({
      backend: "jwt",
      roleName: "ci-bob",
      roleType: "jwt",
      boundClaims: { repository_owner: "bob-team", repository_owner_id: "48151623" },
      boundClaimsType: "string",
      boundAudiences: ["https://vault.example.com"],
      userClaim: "sub",
      tokenPolicies: ["ci-bob"],
      tokenTtl: 900,
      tokenMaxTtl: 900,
    });
    const rules = policyRules(plan, "ci-bob");
    for (const ns of ALL_ACTIVE_NAMESPACES)
      expect(capabilitiesOn(rules, creds("kubernetes", ns)), ns).toEqual(
        ns.startsWith("bob-") ? ["update"] : [],
      );
    expect(rules.length).toBe(2);
  });

  it("the admin list: output ciAdmins and the ConfigMap woodpecker/woodpecker-admins", () => {
    const ci = stack(plan, "ci");
    expect(ci.outputs.ciAdmins).toEqual({ WOODPECKER_ADMIN: "carol,ops-bot" });
    const maps = ofType(ci.resources, T.configMap);
    expect(maps.length).toBe(1);
    expect(maps[0]!.inputs).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "woodpecker-admins",
        namespace: "woodpecker",
        labels: { "app.kubernetes.io/managed-by": "tenancy" },
      },
      data: { WOODPECKER_ADMIN: "carol,ops-bot" },
    });
    validateK8sObject(maps[0]!.inputs);
  });
});

describe("the environment decides", () => {
  it("deployer TTLs and rules, the OIDC mount accessor and the secrets mount; shared CI mode off", async () => {
    const rules = [{ apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "patch"] }];
    const changed = environment((env) => {
      env.vault.deployer = { ttlSeconds: 600, maxTtlSeconds: 900, rules };
      env.vault.kubernetesSecretsMount = "k8s-creds";
      env.oidc.vaultMountAccessor = "auth_oidc_ffff0000";
      delete env.ci.shared;
    });
    const p = await buildPlan(changed, LAYERS);
    const vault = stack(p, "vault").resources;
    expect(ofType(vault, T.secretRole).length).toBe(ALL_ACTIVE_NAMESPACES.length);
    for (const r of ofType(vault, T.secretRole)) {
      expect(r.inputs.tokenDefaultTtl).toBe(600);
      expect(r.inputs.tokenMaxTtl).toBe(900);
      expect(r.inputs.backend).toBe("k8s-creds");
    }
    for (const r of ofType(vault, T.role)) expect(r.inputs.rules).toEqual(rules);
    for (const r of ofType(vault, T.alias)) expect(r.inputs.mountAccessor).toBe("auth_oidc_ffff0000");
    expect(capabilitiesOn(policyRules(p, "tenant-alice"), creds("k8s-creds", "alice-dev"))).toEqual([
      "update",
    ]);
    expect(capabilitiesOn(policyRules(p, "ci-bob"), creds("k8s-creds", "bob-prod"))).toEqual(["update"]);
    // no shared CI identity without ci.shared; the per-tenant one stays
    expect(ofType(all(p), T.k8sAuthRole)).toEqual([]);
    expect(ofType(all(p), T.policy).map((r) => r.inputs.name)).not.toContain("ci_shared_woodpecker-deployer");
    expect(ofType(all(p), T.jwtRole).length).toBe(1);
    expect(validateAll(p)).toBeGreaterThan(0);
  });

  it("per-tenant CI mode off: a tenant's ci block is refused rather than silently ignored", () => {
    expect(() => environment((env) => delete env.ci.perTenant)).toThrow(
      "tenants/bob.yaml: ci: the environment has no ci.perTenant settings (environments/example.yaml), so this tenant's CI role would not exist",
    );
  });

  it("per-tenant CI mode off, no admin ConfigMap and no extra admins", async () => {
    const noCi = environment(
      (env) => {
        delete env.ci.perTenant;
        delete env.ci.admins.configMap;
        env.ci.admins.extra = [];
      },
      ["bob"],
    );
    const p = await buildPlan(noCi, LAYERS);
    expect(ofType(all(p), T.jwtRole)).toEqual([]);
    expect(ofType(all(p), T.policy).map((r) => r.inputs.name)).not.toContain("ci-bob");
    expect(ofType(all(p), T.k8sAuthRole).length).toBe(1);
    // the admission parameters are the only ConfigMaps left
    expect(
      ofType(all(p), T.configMap).filter(
        (r) => (r.inputs.metadata as { name: string }).name !== "tenancy-admission",
      ),
    ).toEqual([]);
    expect(stack(p, "ci").outputs.ciAdmins).toEqual({ WOODPECKER_ADMIN: "carol" });
  });
});

describe("the components on their own", () => {
  const layout: VaultPaths = {
    kvMount: "kv",
    tenantPaths: "prefixed",
    tenantPrefix: "teams",
    kubernetesSecretsMount: "kubernetes",
  };
  const args = (over: Partial<TenantVaultArgs> = {}): TenantVaultArgs => ({
    tenant: "acme",
    email: "ops@acme.example",
    oidcMountAccessor: "auth_oidc_1",
    paths: layout,
    namespaces: [
      { name: "acme-web", ready: "acme-web" },
      { name: "acme-db", ready: "acme-db" },
    ],
    deployer: { ttlSeconds: 300, maxTtlSeconds: 600, rules: DEFAULT_RULES },
    ...over,
  });

  it("TenantVault: child names (part of every URN), the owning tenant, the Role in the namespace it waits for", async () => {
    const run = await runSpecs("test-vault", (specs) => {
      tenantVault(specs, "acme", args(), {
        kubernetes: testProvider(specs),
        vault: testProvider(specs, "vault"),
      });
    });
    const custom = run.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
    expect(custom.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        `${T.policy} acme-policy`,
        `${T.entity} acme-entity`,
        `${T.alias} acme-alias`,
        `${T.role} acme-web-deployer-role`,
        `${T.role} acme-db-deployer-role`,
        `${T.secretRole} acme-web-deployer`,
        `${T.secretRole} acme-db-deployer`,
      ].sort(),
    );
    for (const r of custom) expect(r.tenant, r.name).toBe("acme");
    const policy = parsePolicy(custom.find((r) => r.type === T.policy)!.inputs.policy as string);
    expect(policy.map((r) => r.path)).toEqual([
      "kv/data/teams/acme/*",
      "kv/metadata/teams/acme/*",
      "kubernetes/creds/acme-web-deployer",
      "kubernetes/creds/acme-db-deployer",
    ]);
    const role = custom.find((r) => r.name === "acme-db-deployer-role")!;
    expect((role.inputs.metadata as { namespace: string }).namespace).toBe("acme-db");
    // the Kubernetes provider reaches the Role through the component's resource options only
    expect(role.provider).toMatch(/\$pulumi:providers:kubernetes::test-kubernetes::/);
    validateK8sObject(role.inputs);
    const secretRole = custom.find((r) => r.name === "acme-db-deployer")!;
    expect([secretRole.inputs.tokenDefaultTtl, secretRole.inputs.tokenMaxTtl]).toEqual([300, 600]);
  });

  it("the CI components: list claims become Vault's comma-separated form; policy names per mode", async () => {
    const run = await runSpecs("test-ci", (specs) => {
      const vault = testProvider(specs, "vault");
      sharedCiDeployer(
        specs,
        "ci/shared",
        {
          authMount: "kubernetes",
          role: "drone",
          serviceAccount: "runner",
          namespace: "drone",
          paths: layout,
          namespaces: ["acme-web", "zed"],
        },
        vault,
        { dependsOn: [], aliases: [] },
      );
      tenantCiDeployer(
        specs,
        "acme",
        {
          tenant: "acme",
          authMount: "jwt",
          boundClaims: { repository_owner_id: "4242", ref: "refs/heads/main" },
          userClaim: "sub",
          ttlSeconds: 300,
          paths: layout,
          namespaces: ["acme-web"],
        },
        vault,
        [],
      );
    });
    const jwt = run.resources.find((r) => r.type === T.jwtRole)!;
    expect(jwt.inputs.boundClaims).toEqual({ repository_owner_id: "4242", ref: "refs/heads/main" });
    expect(jwt.inputs).not.toHaveProperty("boundAudiences");
    expect(jwt.tenant).toBe("acme");
    const names = run.resources.filter((r) => r.type === T.policy).map((r) => [r.name, r.inputs.name]);
    expect(names.sort()).toEqual([
      ["acme-policy", "ci-acme"],
      ["ci/shared-policy", "ci_shared_drone"],
    ]);
    expect(run.resources.find((r) => r.type === T.k8sAuthRole)!.tenant).toBeUndefined();
  });
});
