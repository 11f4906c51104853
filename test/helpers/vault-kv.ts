/**
 * Vault's KV reads of shared Secrets (docs/shared-objects.md) answered for the mock runtime (plan/harness.ts
 * `invoke`), as the Vault provider answers `vault:kv/getSecretV2:getSecretV2`: every field a model's declarations
 * read at a path, each a JSON object (what a dockerconfigjson must be). A read of a path no declaration names is
 * not answered (the mock echoes it, and the registrar refuses the answer).
 */
import type { RegistryModel } from "../../registry/model";
import type { SharedObjectData } from "../../components/shared/schema";

export function kvAnswersFor(model: RegistryModel) {
  const fields = new Map<string, Set<string>>();
  const env = model.environment;
  const declared: SharedObjectData[] = [
    ...(env.sharedObjects ?? []),
    ...Object.values(env.tiers).flatMap((t) => t.sharedObjects ?? []),
    ...model.tenants.flatMap((t) => t.sharedObjects ?? []),
  ];
  for (const o of declared)
    if (o.kind === "Secret") {
      const at = `${env.vault.kvMount}/${o.vault.path}`;
      fields.set(at, new Set([...(fields.get(at) ?? []), ...Object.values(o.vault.keys)]));
    }
  return (r: { token: string; inputs: Record<string, unknown> }) => {
    const read = fields.get(`${String(r.inputs.mount)}/${String(r.inputs.name)}`);
    if (r.token !== "vault:kv/getSecretV2:getSecretV2" || !read) return undefined;
    return { ...r.inputs, data: Object.fromEntries([...read].map((f) => [f, "{}"])) };
  };
}
