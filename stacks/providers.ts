/**
 * The one place providers are specified (ARCHITECTURE.md, "Providers"): per stack, one Kubernetes provider per
 * cluster, keyed by the cluster's name, one Vault and one Cloudflare provider for the environment. Resources
 * name theirs in their specs. Credentials never come from here: the Kubernetes provider uses the kubeconfig
 * context (in the operator's workspace: in-cluster config, or a mounted kubeconfig; layers/in-cluster.ts), the
 * Vault provider VAULT_TOKEN (or the token helper) as the Vault CLI does, Cloudflare the secret config
 * `cloudflare:apiToken` or CLOUDFLARE_API_TOKEN.
 */
import { type Ref, type ResourceSpec, type Specs, ref, specKey } from "../components/core/spec";
import { clusterIdentifier, clusterProviderName } from "../layers/identity";
import type { LayerInput } from "../layers/names";
import { defaultCluster, onCluster } from "../components/clusters/placement";
import type { EnvironmentModel } from "../registry/model";
import { kubeconfigMountPath } from "../layers/in-cluster";

export interface ProviderOptions {
  /**
   * Clusters whose existing Kubernetes objects are updated instead of failing with "already exists" (the
   * provider's `upsertExistingObjects`): "all" for `tenancy adopt`, the clusters the preflight found objects on.
   * @default - none
   */
  upsert?: "all" | readonly string[];
  /**
   * In the operator's workspace pod (layers/in-cluster.ts): the default cluster through the pod's service account
   * (no context, no kubeconfig: the provider's in-cluster fallback), every other cluster through the kubeconfig
   * mounted from its Secret. @default false - each cluster's kubeconfig context
   */
  inCluster?: boolean;
}

export class Providers {
  private readonly made = new Map<string, ResourceSpec>();

  constructor(
    private readonly specs: Specs,
    private readonly env: EnvironmentModel,
    private readonly opts: ProviderOptions = {},
  ) {}

  /** The providers of a layer program's stack: updating what exists where the run adopts it. */
  static of(specs: Specs, input: Pick<LayerInput, "model" | "adoption" | "inCluster">): Providers {
    const upsert = input.adoption?.kubernetes?.upsert;
    return new Providers(specs, input.model.environment, {
      ...(upsert ? { upsert } : {}),
      ...(input.inCluster ? { inCluster: true } : {}),
    });
  }

  /** Once per stack: the spec made the first time, the same spec after. */
  private once(type: string, name: string, make: () => Omit<ResourceSpec, "key" | "type" | "name">) {
    const key = specKey(type, name);
    let spec = this.made.get(key);
    if (!spec) this.made.set(key, (spec = this.specs.add({ key, type, name, ...make() })));
    return spec;
  }

  /** The Kubernetes provider of a cluster (default: the environment's default cluster). */
  kubernetes(cluster: string = defaultCluster(this.env.clusters)): ResourceSpec {
    const c = this.env.clusters.find((x) => x.name === cluster);
    if (!c) throw new Error(`no cluster ${JSON.stringify(cluster)} in environment ${this.env.name}`);
    return this.once("pulumi:providers:kubernetes", clusterProviderName(c.name), () => ({
      custom: true,
      cluster: c.name,
      inputs: {
        ...this.credentials(c),
        // the cluster's identity: an edited kubeconfig or context must not replace the provider (and so every
        // object it manages); only a change of this value does
        clusterIdentifier: clusterIdentifier(this.env.name, c.name),
        enableServerSideApply: true,
        ...(this.opts.upsert === "all" || this.opts.upsert?.includes(c.name)
          ? { upsertExistingObjects: true }
          : {}),
      },
    }));
  }

  /**
   * Where a cluster's provider finds its credentials: the cluster's kubeconfig context (its file, or the usual
   * lookup); in the operator's workspace, the default cluster in-cluster (neither a context nor a kubeconfig:
   * with either, the provider never falls back to the pod's service account; layers/in-cluster.ts) and the
   * others from their mounted kubeconfig Secrets.
   */
  private credentials(c: EnvironmentModel["clusters"][number]): { context?: string; kubeconfig?: string } {
    if (!this.opts.inCluster)
      return { context: c.context, ...(c.kubeconfig ? { kubeconfig: c.kubeconfig } : {}) };
    if (c.name === defaultCluster(this.env.clusters)) return {};
    return { context: c.context, kubeconfig: kubeconfigMountPath(c.name) };
  }

  /**
   * The Cloudflare provider. Its token: the Pulumi secret config `cloudflare:apiToken` if set, else the
   * provider reads CLOUDFLARE_API_TOKEN; never a file.
   */
  cloudflare(): ResourceSpec {
    const token: Ref = ref({ $ref: "config", key: "cloudflare:apiToken" });
    return this.once("pulumi:providers:cloudflare", `cloudflare-${this.env.name}`, () => ({
      custom: true,
      inputs: { apiToken: token },
    }));
  }

  /**
   * The data of the shared TLS secret copied into tenant namespaces (tls.mode copy), read on a cluster at run
   * time through that cluster's provider, and kept secret.
   */
  sharedTlsData(
    source: { namespace: string; secretName: string },
    cluster: string = defaultCluster(this.env.clusters),
  ): Ref {
    return ref({
      $ref: "sharedTls",
      provider: this.kubernetes(cluster).key,
      namespace: source.namespace,
      secretName: source.secretName,
      name: onCluster(this.env.clusters, cluster, "shared-tls-source"),
    });
  }

  /** The environment's Vault provider: its address and namespace from the environment file, not VAULT_ADDR. */
  vault(): ResourceSpec {
    const v = this.env.vault;
    return this.once("pulumi:providers:vault", `vault-${this.env.name}`, () => ({
      custom: true,
      inputs: {
        address: v.address,
        ...(v.namespace ? { namespace: v.namespace } : {}),
        skipChildToken: !v.childToken.enabled,
        maxLeaseTtlSeconds: v.childToken.ttlSeconds,
        tokenName: `tenancy-${this.env.name}`,
      },
    }));
  }
}
