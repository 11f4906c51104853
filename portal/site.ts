/**
 * The static portal: `index.html` (the platform: tenants, tiers, the graph, the access matrix) and, per tenant,
 * `tenants/<id>/index.html` with its kubeconfig and setup script beside it. Every file of `tenants/<id>/` holds
 * that tenant's data only, so a platform can publish each directory to its tenant alone behind its proxy.
 */
import type { AccessRow } from "../policy/access";
import { tenantKubeconfig } from "../policy/kubeconfig";
import type { Plan } from "../plan/plan";
import type { RegistryModel } from "../registry/model";
import { platformView, tenantView } from "./data";
import { indexPage, tenantPage } from "./pages";
import type { Provenance } from "./provenance";
import { kubeconfigYaml, setupScript } from "./setup-script";

/** Relative path -> file content. */
export type Site = Map<string, string>;

export const tenantDir = (id: string) => `tenants/${id}`;

export function buildSite(
  model: RegistryModel,
  plan: Plan,
  rows: readonly AccessRow[],
  provenance: Provenance,
): Site {
  const site: Site = new Map();
  site.set(
    "index.html",
    indexPage(platformView(model, plan, rows), provenance, (id) => `${tenantDir(id)}/index.html`),
  );
  for (const tenant of model.tenants) {
    const dir = tenantDir(tenant.id);
    const view = tenantView(model, plan, rows, tenant);
    if (tenant.offboarding) {
      site.set(`${dir}/index.html`, tenantPage(view, {}, provenance));
      continue;
    }
    const kubeconfig = { file: `kubeconfig-${tenant.id}.yaml`, text: kubeconfigYaml(model, tenant.id) };
    const script = { file: `setup-${tenant.id}.sh` };
    const contexts = (tenantKubeconfig(model, tenant.id).contexts as { name: string }[]).map((c) => c.name);
    site.set(`${dir}/${kubeconfig.file}`, kubeconfig.text);
    site.set(`${dir}/${script.file}`, setupScript(model, tenant.id, provenance));
    site.set(
      `${dir}/index.html`,
      tenantPage(view, { kubeconfig: { ...kubeconfig, contexts }, setupScript: script }, provenance),
    );
  }
  return site;
}
