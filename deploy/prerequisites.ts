/**
 * What a real run needs before it starts, checked at once and reported together (one run, every missing piece):
 * the Pulumi CLI on PATH, a kubeconfig context for every cluster, and the tokens the preflight looks things up
 * with. Nothing here is printed but the names of what is missing.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { LAYER_NAMES, type LayerName } from "../layers/names";
import { defaultCluster } from "../components/clusters/placement";
import type { RegistryModel } from "../registry/model";
import { tenantDnsRecords } from "../components/dns/policy";
import type { KubeConfigs } from "./kube";

/** Whether an executable of this name is on PATH. */
function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  const exts = process.platform === "win32" ? (env.PATHEXT ?? ".EXE").split(";") : [""];
  return (env.PATH ?? "").split(delimiter).some((dir) =>
    exts.some((ext) => {
      try {
        accessSync(join(dir, name + ext), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    }),
  );
}

/** Every missing prerequisite of a run of these layers (all when undefined), one line each. */
export function missingPrerequisites(
  model: RegistryModel,
  layers: readonly LayerName[] | undefined,
  configs: KubeConfigs,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const runs = (l: LayerName) => !layers || layers.includes(l);
  const missing: string[] = [];
  if (!onPath("pulumi", env))
    missing.push(
      "the Pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/install/) and log in to a backend",
    );
  // the default cluster holds the lease; the other layers but dns write Kubernetes objects on their clusters
  const home = defaultCluster(model.environment.clusters);
  const kubernetes = LAYER_NAMES.some((l) => l !== "dns" && runs(l));
  for (const c of model.environment.clusters.filter((x) => kubernetes || x.name === home))
    try {
      configs(c.name);
    } catch (e) {
      missing.push((e as Error).message);
    }
  if ((runs("vault") || runs("ci")) && !env.VAULT_TOKEN)
    missing.push(
      "VAULT_TOKEN is not set: the vault and ci layers write Vault, and the preflight looks up its identities",
    );
  const records = model.tenants.some((t) => tenantDnsRecords(model.environment, t).length > 0);
  if (runs("dns") && records && !env.CLOUDFLARE_API_TOKEN)
    missing.push(
      "CLOUDFLARE_API_TOKEN is not set: the preflight looks up the DNS records the dns layer would create",
    );
  return missing;
}
