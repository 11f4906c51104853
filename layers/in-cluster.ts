/**
 * Running a stack in the cluster, in the Pulumi Kubernetes Operator's workspace pod (ARCHITECTURE.md, "The
 * direct path"; docs/in-cluster.md): where each cluster's credentials are found there. The Stack objects
 * (deploy/operator.ts), the providers (stacks/providers.ts) and the clients (deploy/kube.ts) agree through these.
 *
 * - The default cluster (the home cluster, where the operator runs): the pod's own service account. The
 *   Kubernetes provider falls back to in-cluster config only when it is given neither a kubeconfig nor a
 *   context and finds no kubeconfig file (client-go's DeferredLoadingClientConfig.ClientConfig: any error other
 *   than an empty config, such as a context not found, is returned as is), so there its provider gets neither.
 * - Every other cluster: a kubeconfig from the Secret `tenancy-kubeconfig-<cluster>` (key `kubeconfig`), mounted
 *   read-only at `/var/run/tenancy/kubeconfig/<cluster>/kubeconfig`; its context is the cluster's `context`.
 */

/** Set to "true" in the operator's workspace (the Stack objects set it): the credentials below apply. */
export const IN_CLUSTER_ENV = "TENANCY_IN_CLUSTER";

/** Where the other clusters' kubeconfig Secrets are mounted in the workspace pod. */
export const KUBECONFIG_MOUNT_ROOT = "/var/run/tenancy/kubeconfig";

/** The key of a cluster's kubeconfig Secret holding the kubeconfig file. */
export const KUBECONFIG_SECRET_KEY = "kubeconfig";

/** The Secret (in the Stack objects' namespace) holding a non-default cluster's kubeconfig. */
export function kubeconfigSecretName(cluster: string): string {
  return `tenancy-kubeconfig-${cluster}`;
}

/** The directory a cluster's kubeconfig Secret is mounted at. */
export function kubeconfigMountDir(cluster: string): string {
  return `${KUBECONFIG_MOUNT_ROOT}/${cluster}`;
}

/** The kubeconfig file of a non-default cluster in the workspace pod. */
export function kubeconfigMountPath(cluster: string): string {
  return `${kubeconfigMountDir(cluster)}/${KUBECONFIG_SECRET_KEY}`;
}

/** Whether this process runs in the operator's workspace (TENANCY_IN_CLUSTER=true). */
export function runsInCluster(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[IN_CLUSTER_ENV] === "true";
}
