/**
 * Layer "ci" (after vault): how pipelines obtain deployer credentials. Shared mode (one CI identity for
 * every tenant) and per-tenant mode (a JWT role per tenant) as the environment configures; and the CI
 * system's admin list.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { WHOLE, layerStacks } from "../layers/shards";
import type { TenantModel } from "../registry/model";
import { SharedCiDeployer, TenantCiDeployer } from "../components/ci-deployer";
import { ciAdmins } from "../policy/ci";
import { MANAGED_BY } from "../policy/labels";
import { deployerNamespaces } from "../policy/rbac";
import { vaultPaths } from "../policy/vault";
import { type LayerInput, Upstream } from "./layer";
import { Providers } from "./providers";

type VaultTenants = Record<string, { deployerRoles: string[] }>;

/** Waits for every one of `tenants`' deployers in one vault stack. */
function gateAll(upstream: Upstream, tenants: TenantModel[]) {
  return upstream.gate<VaultTenants>("tenants", "the deployers of every tenant", (ts) =>
    tenants.every((t) => ts?.[t.id] !== undefined),
  );
}

export async function ciProgram(input: LayerInput): Promise<Record<string, unknown>> {
  const { model, tenants } = input;
  const env = model.environment;
  const paths = vaultPaths(env);
  const providers = Providers.of(input);
  const vault = providers.vault();
  const part = input.part ?? WHOLE;
  const active = tenants.filter((t) => !t.offboarding);
  const upstream = Upstream.of(input, "vault");
  // a CI role points at deployers the vault layer creates: each waits for its tenant's deployers
  const deployersOf = (tenant: string) =>
    upstream.gate<VaultTenants>(
      "tenants",
      `the deployers of tenant ${tenant}`,
      (ts) => ts?.[tenant] !== undefined,
    );

  if (env.ci.shared && part.shared) {
    // shared: every tenant's namespaces, whichever stacks hold the tenants
    const everyone = model.tenants.filter((t) => !t.offboarding);
    const namespaces = everyone.flatMap((t) => deployerNamespaces(env, t));
    // the deployers live in the vault layer's stack, or in its shards
    const gates = layerStacks(model, "vault", everyone)
      .filter((s) => s.part.tenants)
      .map((s) => gateAll(s.part.shard === undefined ? upstream : new Upstream(s.id), s.tenants));
    // named "ci/shared" before the child-name rule (ARCHITECTURE.md, "Names"); its children's aliases follow
    new SharedCiDeployer(
      "shared",
      { ...env.ci.shared, paths, namespaces },
      {
        aliases: [{ name: "ci/shared" }],
        providers: [vault],
        dependsOn: pulumi.all(gates).apply((g) => g.flat()),
      },
    );
  }
  const perTenant = env.ci.perTenant;
  if (perTenant) {
    for (const t of active) {
      if (!t.ci) continue;
      const own = new Set(deployerNamespaces(env, t));
      new TenantCiDeployer(
        t.id,
        {
          tenant: t.id,
          authMount: perTenant.authMount,
          boundClaims: t.ci.boundClaims,
          ...(perTenant.audience ? { audience: perTenant.audience } : {}),
          userClaim: perTenant.userClaim,
          ttlSeconds: perTenant.ttlSeconds,
          paths,
          namespaces: t.ci.namespaces.filter((ns) => own.has(ns)),
        },
        { providers: [vault], dependsOn: deployersOf(t.id) },
      );
    }
  }

  const admins = ciAdmins(model);
  const { configMap, envVar } = env.ci.admins;
  if (configMap && part.shared) {
    new k8s.core.v1.ConfigMap(
      "ci-admins",
      {
        metadata: { name: configMap.name, namespace: configMap.namespace, labels: { ...MANAGED_BY } },
        data: { [envVar]: admins },
      },
      { provider: providers.kubernetes() },
    );
  }
  return { ciAdmins: { [envVar]: admins }, awaitingUpstream: upstream.pending() };
}
