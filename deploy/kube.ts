/**
 * Kubernetes API clients for the environment's clusters, as the Kubernetes provider finds its credentials: the
 * cluster's kubeconfig file (or the usual lookup: KUBECONFIG, then ~/.kube/config) at the cluster's context. Only
 * with TENANCY_IN_CLUSTER=true (the operator's workspace; layers/in-cluster.ts), as the providers there: the
 * default cluster through the pod's own service account (in-cluster config), every other through its mounted
 * kubeconfig Secret (in any other pod, the pod's own cluster may not be the one meant).
 * Used by the preflight and the environment lease (ARCHITECTURE.md, "Converging"); loaded on use.
 */
import {
  ApiException,
  KubeConfig,
  KubernetesObjectApi,
  type KubernetesObject,
} from "@kubernetes/client-node";
import type { EnvironmentModel } from "../registry/model";
import { ExternalError } from "../components/core/problems";
import { defaultCluster } from "../components/clusters/placement";
import { IN_CLUSTER_ENV, kubeconfigMountPath, runsInCluster } from "../layers/in-cluster";

/** The client configuration of a cluster of the environment, by its name. */
export type KubeConfigs = (cluster: string) => KubeConfig;

export function kubeConfigs(env: EnvironmentModel): KubeConfigs {
  const made = new Map<string, KubeConfig>();
  return (name) => {
    const known = made.get(name);
    if (known) return known;
    const cluster = env.clusters.find((c) => c.name === name);
    if (!cluster) throw new ExternalError(`no cluster ${name} in environment ${env.name}`);
    const kc = new KubeConfig();
    // in the operator's workspace, as the providers there (layers/in-cluster.ts): the default cluster through
    // the pod's service account, every other through its mounted kubeconfig Secret
    const inCluster = runsInCluster();
    if (inCluster && name === defaultCluster(env.clusters)) {
      if (!process.env.KUBERNETES_SERVICE_HOST)
        throw new ExternalError(
          `cluster ${name}: ${IN_CLUSTER_ENV}=true but this is no pod (KUBERNETES_SERVICE_HOST is not set)`,
        );
      kc.loadFromCluster();
      made.set(name, kc);
      return kc;
    }
    const file = inCluster ? kubeconfigMountPath(name) : cluster.kubeconfig;
    try {
      if (file) kc.loadFromFile(file);
      else kc.loadFromDefault();
    } catch (e) {
      throw new ExternalError(
        `cluster ${name}: cannot read its kubeconfig (${file ?? process.env.KUBECONFIG ?? "~/.kube/config"}): ${(e as Error).message.split("\n")[0]}`,
      );
    }
    if (!kc.getContextObject(cluster.context))
      throw new ExternalError(
        `cluster ${name}: kubeconfig context ${cluster.context} not found (${file ?? process.env.KUBECONFIG ?? "~/.kube/config"})`,
      );
    kc.setCurrentContext(cluster.context);
    made.set(name, kc);
    return kc;
  };
}

/** The HTTP status of a failed client call, if it reached the API server. */
export function statusOf(e: unknown): number | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

/** What a failed client call says, in one line: the API server's message when it sent a Status. */
export function kubeError(e: unknown): string {
  const err = e as { code?: unknown; body?: unknown; message?: string };
  let body = err.body;
  if (typeof body === "string")
    try {
      body = JSON.parse(body);
    } catch {
      // not JSON: the message below says it
    }
  const message = (body as { message?: unknown } | undefined)?.message;
  if (typeof message === "string") return `HTTP ${String(err.code)}: ${message}`;
  return (err.message ?? String(e)).split("\n")[0]!;
}

/**
 * The Kubernetes objects API (discovery, paths, auth: the client's), answering objects as the API server sent
 * them. The client's typed models rename fields that are words of TypeScript (a LimitRange's `default` becomes
 * `_default`; client-node gen/models), so an object read through them no longer compares with a manifest.
 */
export class RawObjectApi extends KubernetesObjectApi {
  static of(kc: KubeConfig): RawObjectApi {
    const api = kc.makeApiClient(RawObjectApi);
    api.setDefaultNamespace(kc);
    return api;
  }

  protected override async processResponse<T extends KubernetesObject>(
    response: { httpStatusCode: number; headers: Record<string, string>; body: { text(): Promise<string> } },
    _type?: string,
  ): Promise<T> {
    const text = await response.body.text();
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) return JSON.parse(text) as T;
    throw new ApiException(response.httpStatusCode, "Unsuccessful HTTP Request", text, response.headers);
  }

  /** The object's path on the API server (found by discovery). */
  path(spec: KubernetesObject, action: "read" | "patch" = "patch"): Promise<string> {
    return this.specUriPath(spec, action);
  }
}
