/**
 * Stacks applied in the cluster by the Pulumi Kubernetes Operator (`tenancy operator`): one `pulumi.com/v1`
 * `Stack` per stack of every layer (each shard and each shared stack), its `prerequisites` the stacks it waits
 * for (layers/shards.ts `stackUpstream`), so the operator applies the shards of a layer in parallel and each
 * after its upstream. The operator runs the direct path (Pulumi.yaml's program) from the repository; deleting
 * a Stack object never destroys what it manages.
 */
import { stackName } from "../layers/identity";
import { LAYER_NAMES } from "../layers/names";
import { layerStacks, stackUpstream } from "../layers/shards";
import { MANAGED_BY } from "../components/core/labels";
import type { RegistryModel } from "../registry/model";

export interface OperatorOptions {
  /** The git repository holding this project, the registry and the environments. */
  repo: string;
  /** @default "main" */
  branch?: string;
  /** Where the Stack objects live (the operator's workspace pods run there). @default "pulumi-operator" */
  namespace?: string;
  /** The Pulumi organization of the stacks. */
  organization: string;
  /** The service account of the workspaces: its RBAC is what the platform and apps layers act with. */
  serviceAccount?: string;
  /** The Secret holding PULUMI_ACCESS_TOKEN, VAULT_TOKEN and CLOUDFLARE_API_TOKEN (keys of the same names). */
  credentialsSecret?: string;
}

/** Which credentials a layer's stacks need: each gets only those. */
const CREDENTIALS: Record<string, string[]> = {
  platform: [],
  dns: ["CLOUDFLARE_API_TOKEN"],
  vault: ["VAULT_TOKEN"],
  ci: ["VAULT_TOKEN"],
  apps: [],
};

/**
 * What keeps the operator's workspaces from applying the platform layer (ARCHITECTURE.md, "Admission"): they run
 * as the Stack's service account (the operator's Workspace default is `default`) in the Stacks' namespace, and
 * the platform-objects policy refuses changes to the platform's objects in tenant namespaces by anyone not in
 * `admission.platform`. One line per problem; none when the service account, or a group of its, is listed.
 */
export function operatorAdmissionWarnings(
  model: RegistryModel,
  opts: Pick<OperatorOptions, "namespace" | "serviceAccount">,
): string[] {
  const { admission } = model.environment;
  if (!admission.policies.platformObjects) return [];
  const namespace = opts.namespace ?? "pulumi-operator";
  const user = `system:serviceaccount:${namespace}:${opts.serviceAccount ?? "default"}`;
  const groups = ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"];
  if (admission.platform.users.includes(user) || groups.some((g) => admission.platform.groups.includes(g)))
    return [];
  return [
    `the operator's workspaces run as ${user}, which is not among admission.platform (users or groups) of environment ${model.environment.name}: the tenancy-platform-objects admission policy would refuse their changes to the platform's objects in tenant namespaces; add it to admission.platform.users`,
  ];
}

export function operatorStacks(model: RegistryModel, opts: OperatorOptions): Record<string, unknown>[] {
  const stacks = LAYER_NAMES.flatMap((l) => layerStacks(model, l));
  const secret = opts.credentialsSecret ?? "tenancy-credentials";
  const ref = (key: string) => ({ type: "Secret", secret: { name: secret, key } });
  return stacks.map((s) => ({
    apiVersion: "pulumi.com/v1",
    kind: "Stack",
    metadata: {
      name: s.name,
      namespace: opts.namespace ?? "pulumi-operator",
      labels: {
        ...MANAGED_BY,
        "tenancy.io/environment": model.environment.name,
        "tenancy.io/layer": s.layer,
        ...(s.part.shard !== undefined ? { "tenancy.io/shard": String(s.part.shard) } : {}),
      },
    },
    spec: {
      stack: `${opts.organization}/${stackName(s.id)}`,
      projectRepo: opts.repo,
      branch: opts.branch ?? "main",
      ...(opts.serviceAccount ? { serviceAccountName: opts.serviceAccount } : {}),
      envRefs: Object.fromEntries(
        ["PULUMI_ACCESS_TOKEN", ...CREDENTIALS[s.layer]!].map((k) => [k, ref(k)] as const),
      ),
      // deleting the Stack object leaves everything it manages in place
      destroyOnFinalize: false,
      refresh: true,
      ...(stackUpstream(s, stacks).length > 0
        ? { prerequisites: stackUpstream(s, stacks).map((name) => ({ name })) }
        : {}),
    },
  }));
}
