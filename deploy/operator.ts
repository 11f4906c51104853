/**
 * Stacks applied in the cluster by the Pulumi Kubernetes Operator (`tenancy operator`; docs/in-cluster.md): one
 * `pulumi.com/v1` `Stack` per stack of every layer (each shard and each shared stack), its `prerequisites` the
 * stacks it waits for (`operatorUpstream`), so the operator applies the shards of a layer in parallel and each
 * after its upstream. Each carries the credentials its layer needs (`stackCredentials`, `mountedClusters`: the
 * default cluster through the workspace's service account, the others through kubeconfig Secrets;
 * layers/in-cluster.ts), git credentials for a private repository, and the registry source as stack config. The
 * operator runs the direct path (Pulumi.yaml's program, stacks/direct.ts) from the repository, which refuses a
 * prerequisite applied from another commit; deleting a Stack object never destroys what it manages.
 * The fields are those of the operator's v2 CRD (test/fixtures/crds; stack_controller.go: envRefs of type Secret
 * or Literal only, the workspaceTemplate merged into the Workspace as a strategic merge patch).
 */
import { stackName } from "../layers/identity";
import { LAYER_NAMES, type LayerName, withDependencies } from "../layers/names";
import { type LayerStack, layerStacks, shardCount, stackUpstream } from "../layers/shards";
import {
  IN_CLUSTER_ENV,
  KUBECONFIG_SECRET_KEY,
  kubeconfigMountDir,
  kubeconfigSecretName,
} from "../layers/in-cluster";
import { defaultCluster } from "../components/clusters/placement";
import { sharedObjectClusters } from "../components/shared/rules";
import { MANAGED_BY } from "../components/core/labels";
import { InvalidInputError, type Problem, showList } from "../components/core/problems";
import type { RegistryModel } from "../registry/model";
import { DEFAULT_SOURCE_SETTINGS, type SourceSettings } from "../registry/settings";

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
  /**
   * The Secret holding PULUMI_ACCESS_TOKEN, VAULT_ADDR, VAULT_TOKEN and CLOUDFLARE_API_TOKEN (keys of the same
   * names); each stack gets only those it needs (`stackCredentials`). @default "tenancy-credentials"
   */
  credentialsSecret?: string;
  /** A private repository: the Secret with its git credentials. @default - a public repository */
  gitAuth?: GitAuthOptions;
  /** Where the registry is read from, passed to each stack as config. @default - the YAML registry `tenants` */
  source?: SourceSettings;
}

export interface GitAuthOptions {
  /** The Secret, in the Stack objects' namespace. */
  secret: string;
  /** token: key `accessToken`; basic: `username` and `password`; ssh: `sshPrivateKey`. */
  kind: "token" | "basic" | "ssh";
}

/**
 * What a layer's stacks read besides the cluster (stacks/providers.ts): the Vault provider (vault: policies,
 * identities, deployer roles, SOPS keys; ci: its auth roles) and the Cloudflare provider (dns). Every stack also
 * writes Kubernetes on the default cluster (the environment lease, ARCHITECTURE.md "Converging"; platform, the
 * vault layer's deployer Roles, ci's admin ConfigMap, apps), and the platform layer on every cluster. A test
 * checks these against the providers each stack's plan uses (test/deploy/operator.test.ts).
 */
const USES_VAULT: Record<LayerName, boolean> = {
  platform: false,
  dns: false,
  vault: true,
  ci: true,
  apps: false,
};
const USES_CLOUDFLARE: Record<LayerName, boolean> = {
  platform: false,
  dns: true,
  vault: false,
  ci: false,
  apps: false,
};
/** Layers with a Kubernetes provider on every cluster; the others use the default cluster only. */
const EVERY_CLUSTER: Record<LayerName, boolean> = {
  platform: true,
  dns: false,
  vault: false,
  ci: false,
  apps: false,
};

/** The Stack CRD's limit on a Stack's name (its x-kubernetes-validations rule; test/fixtures/crds). */
export const STACK_NAME_MAX = 42;

/** The environment variables a stack's workspace gets, each from the credentials Secret or literal. */
export function stackCredentials(
  layer: LayerName,
  /** Where the registry is read from: a Vault-sourced registry needs Vault in every stack. */
  source: SourceSettings["source"],
): string[] {
  return [
    "PULUMI_ACCESS_TOKEN",
    ...(USES_VAULT[layer] || source === "vault" ? ["VAULT_ADDR", "VAULT_TOKEN"] : []),
    ...(USES_CLOUDFLARE[layer] ? ["CLOUDFLARE_API_TOKEN"] : []),
  ];
}

/**
 * The clusters whose kubeconfig Secret a layer's stacks mount: every cluster it writes but the default. The vault
 * layer writes other clusters only for shared objects there (docs/shared-objects.md).
 */
export function mountedClusters(model: RegistryModel, layer: LayerName): string[] {
  const home = defaultCluster(model.environment.clusters);
  const others = model.environment.clusters.map((c) => c.name).filter((c) => c !== home);
  if (EVERY_CLUSTER[layer]) return others;
  if (layer !== "vault") return [];
  const shared = sharedObjectClusters(model);
  return others.filter((c) => shared.has(c));
}

/**
 * What each stack waits for under the operator: its upstream stacks (layers/shards.ts `stackUpstream`) and, for
 * a layer that does not already come after it (dns), the platform layer's, by the same rule: every stack's guard
 * reads what the platform layer applied (ARCHITECTURE.md, "The direct path"), and the direct path refuses a
 * prerequisite applied from another commit (stacks/direct.ts).
 */
export function operatorUpstream(stack: LayerStack, stacks: readonly LayerStack[]): string[] {
  const names = new Set(stackUpstream(stack, stacks));
  // a layer counts itself among its dependencies: the platform layer waits for nothing more
  if (!withDependencies([stack.layer]).includes("platform"))
    for (const s of stacks)
      if (s.layer === "platform" && (stack.part.shared || s.part.shard === stack.part.shard))
        names.add(s.name);
  return stacks.filter((s) => names.has(s.name)).map((s) => s.name);
}

/**
 * Every Stack name within the CRD's limit (`size(self.metadata.name) <= 42`: the operator names the workspace's
 * StatefulSet and its pods after it), else every problem at once, at the environment file (its name is the
 * file's) or its `shards.count` (the shard suffix).
 */
export function checkStackNames(model: RegistryModel, envFile: string): void {
  const stacks = LAYER_NAMES.flatMap((l) => layerStacks(model, l));
  const long = stacks.filter((s) => s.name.length > STACK_NAME_MAX);
  if (long.length === 0) return;
  const env = model.environment.name;
  const suffix = Math.max(...long.map((s) => s.name.length - env.length - 1 - s.layer.length));
  const room = STACK_NAME_MAX - 1 - Math.max(...long.map((s) => s.layer.length)) - suffix;
  const problems: Problem[] = [
    {
      source: envFile,
      path: [],
      message: `environment name ${JSON.stringify(env)} (${env.length} characters) makes operator Stack names longer than the Stack CRD's ${STACK_NAME_MAX} characters (${showList(long.map((s) => `${s.name}: ${s.name.length}`))}): the operator cannot run this environment; an environment name of at most ${Math.max(room, 0)} characters fits${suffix > 0 ? " with this shard count" : ""}`,
    },
  ];
  if (suffix > 0 && room < 1)
    problems.push({
      source: envFile,
      path: ["shards", "count"],
      message: `shards.count ${shardCount(model.environment)} adds ${suffix} characters to every shard stack's name: no environment name fits the Stack CRD's ${STACK_NAME_MAX} characters`,
    });
  throw new InvalidInputError(problems);
}

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
  const source = opts.source ?? DEFAULT_SOURCE_SETTINGS;
  const fromSecret = (name: string, key: string) => ({ type: "Secret", secret: { name, key } });
  return stacks.map((s) => {
    const upstream = operatorUpstream(s, stacks);
    const mounted = mountedClusters(model, s.layer);
    return {
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
        ...(opts.gitAuth ? { gitAuth: gitAuth(opts.gitAuth) } : {}),
        ...(opts.serviceAccount ? { serviceAccountName: opts.serviceAccount } : {}),
        envRefs: {
          // the default cluster through the pod's service account, the others from their Secrets
          [IN_CLUSTER_ENV]: { type: "Literal", literal: { value: "true" } },
          ...Object.fromEntries(
            stackCredentials(s.layer, source.source).map((k) => [k, fromSecret(secret, k)] as const),
          ),
        },
        // the registry as `tenancy operator` read it (stacks/direct.ts sourceSettings)
        config: sourceConfig(source),
        ...(mounted.length > 0 ? { workspaceTemplate: kubeconfigMounts(mounted) } : {}),
        // deleting the Stack object leaves everything it manages in place
        destroyOnFinalize: false,
        refresh: true,
        ...(upstream.length > 0 ? { prerequisites: upstream.map((name) => ({ name })) } : {}),
      },
    };
  });
}

/** The Stack's gitAuth: each a key of the one Secret (the keys the operator's deprecated gitAuthSecret reads). */
function gitAuth(auth: GitAuthOptions): Record<string, unknown> {
  const ref = (key: string) => ({ type: "Secret", secret: { name: auth.secret, key } });
  switch (auth.kind) {
    case "token":
      return { accessToken: ref("accessToken") };
    case "basic":
      return { basicAuth: { userName: ref("username"), password: ref("password") } };
    case "ssh":
      return { sshAuth: { sshPrivateKey: ref("sshPrivateKey") } };
  }
}

/** The source settings as the direct path's stack config (`tenancy:<key>`). */
function sourceConfig(source: SourceSettings): Record<string, string> {
  return {
    "tenancy:source": source.source,
    ...(source.source === "yaml"
      ? { "tenancy:registry": source.registry }
      : {
          "tenancy:vaultLayout": source.vaultLayout,
          "tenancy:vaultMount": source.vaultMount,
          ...(source.vaultPath !== undefined ? { "tenancy:vaultPath": source.vaultPath } : {}),
          "tenancy:vaultKey": source.vaultKey,
        }),
  };
}

/**
 * The workspace pod's kubeconfig Secrets (layers/in-cluster.ts), merged into the Workspace the operator makes
 * (a strategic merge patch: the pulumi container matched by name; stack_controller.go setupWorkspace).
 */
function kubeconfigMounts(clusters: string[]): Record<string, unknown> {
  // volume names are DNS labels: a cluster name may take all 63 characters, so they are numbered
  const volume = (i: number) => `tenancy-kubeconfig-${i}`;
  return {
    spec: {
      podTemplate: {
        spec: {
          volumes: clusters.map((c, i) => ({
            name: volume(i),
            secret: {
              secretName: kubeconfigSecretName(c),
              items: [{ key: KUBECONFIG_SECRET_KEY, path: KUBECONFIG_SECRET_KEY }],
            },
          })),
          containers: [
            {
              name: "pulumi",
              volumeMounts: clusters.map((c, i) => ({
                name: volume(i),
                mountPath: kubeconfigMountDir(c),
                readOnly: true,
              })),
            },
          ],
        },
      },
    },
  };
}
