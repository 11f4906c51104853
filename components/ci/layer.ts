/**
 * The ci concern's parts of the ci layer (after vault): the shared CI deployer (the layer's shared part, waiting
 * for every tenant's deployers in every vault stack), per-tenant CI deployers (each waiting for its tenant's),
 * and the CI system's admin list (output, and optional ConfigMap).
 */
import type { Contribution, UpstreamStack } from "../../layers/stack";
import { layerStacks } from "../../layers/shards";
import type { TenantModel } from "../../registry/model";
import { MANAGED_BY } from "../core/labels";
import { deployerNamespaces } from "../members/rbac";
import { vaultPaths } from "../vault/policy";
import { ciAdmins as adminsOf } from "./policy";
import { sharedCiDeployer, tenantCiDeployer } from "./specs";

/** Waits for every one of `tenants`' deployers in one vault stack. */
function gateAll(upstream: UpstreamStack, tenants: TenantModel[]) {
  return upstream.gate(
    "tenants",
    `the deployers of every tenant of ${upstream.stack}`,
    tenants.map((t) => ({ path: [t.id] })),
  );
}

export const sharedCi: Contribution = ({ input, specs, providers, upstream, stackOf }) => {
  const { model } = input;
  const env = model.environment;
  const own = upstream("vault");
  // the stack's Vault provider, whichever tenants it holds
  const vault = providers.vault();
  if (!env.ci.shared || !(input.part?.shared ?? true)) return;
  // shared: every tenant's namespaces, whichever stacks hold the tenants
  const everyone = model.tenants.filter((t) => !t.offboarding);
  const namespaces = everyone.flatMap((t) => deployerNamespaces(env, t));
  // the deployers live in the vault layer's stack, or in its shards
  const gates = layerStacks(model, "vault", everyone)
    .filter((s) => s.part.tenants)
    .map((s) => gateAll(s.part.shard === undefined ? own : stackOf(s.id), s.tenants));
  // named "ci/shared" before the child-name rule (ARCHITECTURE.md, "Names"); its children's aliases follow
  sharedCiDeployer(specs, "shared", { ...env.ci.shared, paths: vaultPaths(env), namespaces }, vault, {
    aliases: ["ci/shared"],
    dependsOn: gates,
  });
};

export const tenantCi: Contribution = ({ input, specs, providers, upstream }) => {
  const env = input.model.environment;
  const perTenant = env.ci.perTenant;
  if (!perTenant) return;
  const vaultStack = upstream("vault");
  const paths = vaultPaths(env);
  for (const t of input.tenants) {
    if (t.offboarding || !t.ci) continue;
    const own = new Set(deployerNamespaces(env, t));
    tenantCiDeployer(
      specs,
      t.id,
      {
        tenant: t.id,
        authMount: perTenant.authMount,
        boundClaims: t.ci.boundClaims,
        ...(perTenant.audience ? { audience: perTenant.audience } : {}),
        userClaim: perTenant.userClaim,
        ttlSeconds: perTenant.ttlSeconds,
        ...(perTenant.rolePer === "namespace"
          ? { rolePer: "namespace" as const, namespaceClaim: perTenant.namespaceClaim }
          : {}),
        paths,
        namespaces: t.ci.namespaces.filter((ns) => own.has(ns)),
      },
      providers.vault(),
      // a CI role points at deployers the vault layer creates: each waits for its tenant's deployers
      [vaultStack.gate("tenants", `the deployers of tenant ${t.id}`, [{ path: [t.id] }])],
    );
  }
};

export const ciAdmins: Contribution = ({ input, specs, providers, outputs }) => {
  const admins = adminsOf(input.model);
  const { configMap, envVar } = input.model.environment.ci.admins;
  if (configMap && (input.part?.shared ?? true)) {
    specs.kubernetes(
      "ci-admins",
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: configMap.name, namespace: configMap.namespace, labels: { ...MANAGED_BY } },
        data: { [envVar]: admins },
      },
      { provider: providers.kubernetes() },
    );
  }
  outputs.ciAdmins = { [envVar]: admins };
};
