/**
 * The one place providers are made (ARCHITECTURE.md, "Providers"): one per cluster and program, keyed by the
 * cluster's name. Components receive them through resource options only (`provider` / `providers`).
 */
import * as k8s from "@pulumi/kubernetes";
import type { EnvironmentModel } from "../registry/model";

export class Providers {
  private readonly clusters = new Map<string, k8s.Provider>();

  constructor(private readonly env: EnvironmentModel) {}

  /** The Kubernetes provider of a cluster (default: the environment's first), made once per program. */
  kubernetes(cluster: string = this.env.clusters[0]!.name): k8s.Provider {
    const existing = this.clusters.get(cluster);
    if (existing) return existing;
    const c = this.env.clusters.find((x) => x.name === cluster);
    if (!c) throw new Error(`no cluster ${JSON.stringify(cluster)} in environment ${this.env.name}`);
    const provider = new k8s.Provider(`cluster-${c.name}`, {
      context: c.context,
      ...(c.kubeconfig ? { kubeconfig: c.kubeconfig } : {}),
      enableServerSideApply: true,
    });
    this.clusters.set(cluster, provider);
    return provider;
  }
}
