/** The environment on its own: its default tier exists, tier quotas within their ceilings, zone names plain. */
import type { EnvironmentDocument, EnvironmentModel, Quota } from "../model";
import { check } from "../parse";
import { type PathSegment, type Problem, show } from "../../components/core/problems";
import { EnvironmentFile } from "../schema";
import { checkBundles } from "../../components/clusters/rules";
import { checkStorageClasses } from "../../components/admission/rules";
import { checkNetwork } from "../../components/network/rules";
import { ceilings, checkLimits, mergeLimits } from "../../components/namespace/quotas";

/** The environment model, or undefined when it has problems (added to `problems`). */
export function checkEnvironment(
  envDoc: EnvironmentDocument,
  problems: Problem[],
): EnvironmentModel | undefined {
  if (envDoc.problems) {
    problems.push(...envDoc.problems);
    return undefined;
  }
  const result = check(EnvironmentFile, envDoc.data, envDoc.source);
  if (!result.ok) {
    problems.push(...result.problems);
    return undefined;
  }
  const env: EnvironmentModel = { ...result.value, name: envDoc.name, source: envDoc.source };
  const at = (path: PathSegment[], message: string) => problems.push({ source: env.source, path, message });
  if (!Object.hasOwn(env.tiers, env.defaults.tier))
    at(
      ["defaults", "tier"],
      `${show(env.defaults.tier)} is not a tier of this environment (tiers: ${Object.keys(env.tiers).join(", ")})`,
    );
  for (const [name, tier] of Object.entries(env.tiers)) {
    const quota = { ...env.defaults.quota, ...tier.quota } as Quota;
    for (const [key, value, ceiling, where] of ceilings(quota, [
      [tier.max, `the tier's own max`],
      [env.maxQuota, "maxQuota"],
    ])) {
      at(["tiers", name, "quota", key], `${show(value)} exceeds ${where} of ${show(ceiling)}`);
    }
  }
  // limits every namespace of a tier starts from: a mistake here is the environment's, not each tenant's
  checkLimits(env.defaults.limits ?? {}, (field, message) => at(["defaults", "limits", ...field], message));
  for (const [name, tier] of Object.entries(env.tiers))
    if (tier.limits)
      checkLimits(mergeLimits(env.defaults.limits, tier.limits), (field, message) =>
        at(["tiers", name, "limits", ...field], message),
      );
  const zoneOfId = new Map<string, string>();
  for (const [zone, id] of Object.entries(env.dns.zones)) {
    const other = zoneOfId.get(id);
    if (other !== undefined)
      at(
        ["dns", "zones", zone],
        `${show(id)} is also the id of zone ${show(other)}; each zone has its own id`,
      );
    zoneOfId.set(id, zone);
  }
  checkBundles(env, at);
  checkStorageClasses(env, at);
  checkNetwork(env, at);
  // Vault's secrets engine requests the deployers' tokens for their TTL: the credentials policy would deny longer
  if (env.admission.policies.credentials && env.vault.deployer.maxTtlSeconds > env.admission.maxTokenSeconds)
    at(
      ["vault", "deployer", "maxTtlSeconds"],
      `${env.vault.deployer.maxTtlSeconds} exceeds admission.maxTokenSeconds (${env.admission.maxTokenSeconds}): the admission policies would deny the deployers' tokens; lower it, or raise admission.maxTokenSeconds`,
    );
  // tier problems still let tenants be checked; a wildcard zone does not (domains would be judged against it)
  const before = problems.length;
  for (const [i, zone] of Object.keys(env.dns.zones).entries()) {
    if (zone.startsWith("*.")) at(["dns", "zones", zone], `a zone name cannot be a wildcard (entry ${i})`);
  }
  return problems.length > before ? undefined : env;
}
