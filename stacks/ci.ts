/**
 * Layer "ci" (after vault): how pipelines obtain deployer credentials. Shared mode (one CI identity for
 * every tenant) and per-tenant mode (a JWT role per tenant) as the environment configures; and the CI
 * system's admin list.
 */
import { WHOLE, layerStacks } from "../layers/shards";
import type { TenantModel } from "../registry/model";
import { sharedCiDeployer, tenantCiDeployer } from "../components/ci/specs";
import { PENDING, Specs, type StackSpecs, kubernetesObject } from "../components/core/spec";
import { ciAdmins } from "../components/ci/policy";
import { MANAGED_BY } from "../components/core/labels";
import { deployerNamespaces } from "../components/members/rbac";
import { vaultPaths } from "../components/vault/policy";
import { type LayerInput, Upstream } from "./layer";
import { Providers } from "./providers";

/** Waits for every one of `tenants`' deployers in one vault stack. */
function gateAll(upstream: Upstream, tenants: TenantModel[]) {
  return upstream.gate(
    "tenants",
    `the deployers of every tenant of ${upstream.stack}`,
    tenants.map((t) => ({ path: [t.id] })),
  );
}

export function ciProgram(input: LayerInput): StackSpecs {
  const { model, tenants } = input;
  const env = model.environment;
  const paths = vaultPaths(env);
  const specs = new Specs();
  const providers = Providers.of(specs, input);
  const vault = providers.vault();
  const part = input.part ?? WHOLE;
  const active = tenants.filter((t) => !t.offboarding);
  const upstream = Upstream.of(input, "vault");
  // a CI role points at deployers the vault layer creates: each waits for its tenant's deployers
  const deployersOf = (tenant: string) =>
    upstream.gate("tenants", `the deployers of tenant ${tenant}`, [{ path: [tenant] }]);
  const reads = new Set([upstream.stack]);

  if (env.ci.shared && part.shared) {
    // shared: every tenant's namespaces, whichever stacks hold the tenants
    const everyone = model.tenants.filter((t) => !t.offboarding);
    const namespaces = everyone.flatMap((t) => deployerNamespaces(env, t));
    // the deployers live in the vault layer's stack, or in its shards
    const gates = layerStacks(model, "vault", everyone)
      .filter((s) => s.part.tenants)
      .map((s) => {
        const stack = s.part.shard === undefined ? upstream : new Upstream(s.id);
        reads.add(stack.stack);
        return gateAll(stack, s.tenants);
      });
    // named "ci/shared" before the child-name rule (ARCHITECTURE.md, "Names"); its children's aliases follow
    sharedCiDeployer(specs, "shared", { ...env.ci.shared, paths, namespaces }, vault, {
      aliases: ["ci/shared"],
      dependsOn: gates,
    });
  }
  const perTenant = env.ci.perTenant;
  if (perTenant) {
    for (const t of active) {
      if (!t.ci) continue;
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
          paths,
          namespaces: t.ci.namespaces.filter((ns) => own.has(ns)),
        },
        vault,
        [deployersOf(t.id)],
      );
    }
  }

  const admins = ciAdmins(model);
  const { configMap, envVar } = env.ci.admins;
  if (configMap && part.shared) {
    const { type, inputs } = kubernetesObject("v1", "ConfigMap", {
      metadata: { name: configMap.name, namespace: configMap.namespace, labels: { ...MANAGED_BY } },
      data: { [envVar]: admins },
    });
    specs.resource(type, "ci-admins", inputs, { provider: providers.kubernetes() });
  }
  return {
    resources: specs.list,
    outputs: { ciAdmins: { [envVar]: admins }, awaitingUpstream: PENDING },
    reads: [...reads],
  };
}
