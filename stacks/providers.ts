/**
 * The one place providers are made (ARCHITECTURE.md, "Providers"): per program, one Kubernetes provider per
 * cluster, keyed by the cluster's name, and one Vault provider for the environment. Components receive them
 * through resource options only (`providers`). Credentials never come from here: the Kubernetes provider uses
 * the kubeconfig context, the Vault provider VAULT_TOKEN (or the token helper) as the Vault CLI does.
 */
import * as cloudflare from "@pulumi/cloudflare";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import type { LayerInput } from "../layers/names";
import { clusterIdentifier, clusterProviderName } from "../layers/identity";
import { defaultCluster, onCluster } from "../policy/placement";
import type { EnvironmentModel } from "../registry/model";

export interface ProviderOptions {
  /**
   * Adopt what already exists: create Kubernetes objects that already exist by updating them instead of
   * failing with "already exists" (the provider's `upsertExistingObjects`). For `tenancy adopt` only.
   * @default false
   */
  adopt?: boolean;
}

export class Providers {
  private readonly clusters = new Map<string, k8s.Provider>();
  private vaultProvider: vault.Provider | undefined;
  private cloudflareProvider: cloudflare.Provider | undefined;
  private readonly tlsData = new Map<string, pulumi.Output<Record<string, string>>>();

  constructor(
    private readonly env: EnvironmentModel,
    private readonly opts: ProviderOptions = {},
  ) {}

  /** The providers of a layer program's run: adopting when the run adopts. */
  static of(input: Pick<LayerInput, "model" | "adoption">): Providers {
    return new Providers(input.model.environment, { adopt: input.adoption !== undefined });
  }

  /** The Kubernetes provider of a cluster (default: the environment's default cluster), made once per program. */
  kubernetes(cluster: string = defaultCluster(this.env.clusters)): k8s.Provider {
    const existing = this.clusters.get(cluster);
    if (existing) return existing;
    const c = this.env.clusters.find((x) => x.name === cluster);
    if (!c) throw new Error(`no cluster ${JSON.stringify(cluster)} in environment ${this.env.name}`);
    const provider = new k8s.Provider(clusterProviderName(c.name), {
      context: c.context,
      ...(c.kubeconfig ? { kubeconfig: c.kubeconfig } : {}),
      // the cluster's identity: an edited kubeconfig or context must not replace the provider (and so every
      // object it manages); only a change of this value does
      clusterIdentifier: clusterIdentifier(this.env.name, c.name),
      enableServerSideApply: true,
      ...(this.opts.adopt ? { upsertExistingObjects: true } : {}),
    });
    this.clusters.set(cluster, provider);
    return provider;
  }

  /**
   * The Cloudflare provider. Its token: the Pulumi secret config `cloudflare:apiToken` if set, else the
   * provider reads CLOUDFLARE_API_TOKEN; never a file.
   */
  cloudflare(): cloudflare.Provider {
    if (this.cloudflareProvider) return this.cloudflareProvider;
    const token = new pulumi.Config("cloudflare").getSecret("apiToken");
    this.cloudflareProvider = new cloudflare.Provider(`cloudflare-${this.env.name}`, {
      ...(token ? { apiToken: token } : {}),
    });
    return this.cloudflareProvider;
  }

  /**
   * The data of the shared TLS secret copied into tenant namespaces (tls.mode copy), read once per program and
   * cluster at run time through that cluster's provider, and kept secret.
   */
  sharedTlsData(
    source: { namespace: string; secretName: string },
    cluster: string = defaultCluster(this.env.clusters),
  ): pulumi.Output<Record<string, string>> {
    const cached = this.tlsData.get(cluster);
    if (cached) return cached;
    const secret = k8s.core.v1.Secret.get(
      onCluster(this.env.clusters, cluster, "shared-tls-source"),
      `${source.namespace}/${source.secretName}`,
      { provider: this.kubernetes(cluster) },
    );
    const data = pulumi.secret(secret.data.apply((d) => d ?? {}));
    this.tlsData.set(cluster, data);
    return data;
  }

  /** The environment's Vault provider: its address and namespace from the environment file, not VAULT_ADDR. */
  vault(): vault.Provider {
    if (this.vaultProvider) return this.vaultProvider;
    const v = this.env.vault;
    this.vaultProvider = new vault.Provider(`vault-${this.env.name}`, {
      address: v.address,
      ...(v.namespace ? { namespace: v.namespace } : {}),
      skipChildToken: !v.childToken.enabled,
      maxLeaseTtlSeconds: v.childToken.ttlSeconds,
      tokenName: `tenancy-${this.env.name}`,
    });
    return this.vaultProvider;
  }
}
