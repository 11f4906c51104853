/**
 * Layer "platform": per tenant its namespaces (quota, limits, network isolation, Pod Security, TLS, admission
 * parameters) and its Kubernetes access and role bundles; the shared cluster roles and admission policies once.
 * Exports each tenant's namespaces for downstream layers, and what the guard compares a change against.
 */
import { admissionPolicies } from "../components/admission/layer";
import { clusterProviders, tenantGrants } from "../components/clusters/layer";
import { defaultCluster } from "../components/clusters/placement";
import { tenantDigest } from "../components/events/policy";
import { sharedRoles, tenantAccess, tenantServiceAccounts } from "../components/members/layer";
import { namespaceOwners } from "../components/members/rbac";
import { tenantNamespaces } from "../components/namespace/layer";
import { tenantAdminNetworkPolicies } from "../components/network/layer";
import { shardCount } from "../layers/shards";
import { templatesOf } from "../policy/names";
import type { Contribution } from "../layers/stack";
import { layerProgram } from "./layer";

/** What the platform stack exports: each tenant's namespaces and digest, every namespace's owner, the layout, the name templates. */
const platformOutputs: Contribution = ({ input, outputs }) => {
  const env = input.model.environment;
  outputs.tenants = Object.fromEntries(
    input.tenants.map((tenant) => [
      tenant.id,
      {
        namespaces: tenant.namespaces.map((n) => n.name),
        offboarding: tenant.offboarding,
        // the record as applied: the next up tells a changed tenant by it (components/events/policy.ts)
        digest: tenantDigest(tenant, env),
      },
    ]),
  );
  // every namespace with its owner and clusters: what the guard compares a registry change against
  outputs.namespaces = namespaceOwners(input.tenants);
  // the shard count this layout was applied with (the guard refuses a count change whose state was not
  // moved) and the default cluster (whose objects have bare names): every platform stack, shards too, keeps
  // both, so that each guards itself when run on its own (stacks/direct.ts)
  outputs.shards = shardCount(env);
  outputs.defaultCluster = defaultCluster(env.clusters);
  // the name templates its objects were applied under: the next run tells a renamed fence by them
  // (policy/names.ts renamedObjects; ARCHITECTURE.md, "Safety")
  outputs.names = templatesOf(env.names);
};

export const platformProgram = layerProgram([
  clusterProviders,
  sharedRoles,
  admissionPolicies,
  tenantAdminNetworkPolicies,
  tenantNamespaces,
  tenantAccess,
  tenantGrants,
  tenantServiceAccounts,
  platformOutputs,
]);
