/**
 * Vault's KV reads of shared Secrets (docs/shared-objects.md) answered for the mock runtime (plan/harness.ts
 * `invoke`), as the Vault provider answers `vault:kv/getSecretV2:getSecretV2`: every field a model's declarations
 * read at a path, each a JSON object (what a dockerconfigjson must be). A read of a path no declaration names
 * fails, as the provider's read of a missing secret does (kvReads).
 */
import type { RegistryModel } from "../../registry/model";
import type { SharedObjectData } from "../../components/shared/schema";
import { type StackSpecs, isRef } from "../../components/core/spec";

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
  return kvReads(Object.fromEntries([...fields].map(([at, read]) => [at, everyField(read)])));
}

/** Every field a stack's specs read from Vault KV (their `vaultKv` references), answered as kvAnswersFor does. */
export function kvAnswersOf(specs: StackSpecs) {
  const fields = new Map<string, Set<string>>();
  const walk = (v: unknown): void => {
    if (isRef(v)) {
      if (v.$ref === "vaultKv") {
        const at = `${v.mount}/${v.path}`;
        fields.set(at, new Set([...(fields.get(at) ?? []), ...Object.values(v.keys)]));
      }
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object") Object.values(v).forEach(walk);
  };
  for (const s of specs.resources) walk(s.inputs);
  return kvReads(Object.fromEntries([...fields].map(([at, read]) => [at, everyField(read)])));
}

/** Each field a JSON object (what a dockerconfigjson must be). */
const everyField = (read: Set<string>) => Object.fromEntries([...read].map((f) => [f, "{}"]));

/**
 * The Vault provider's KV v2 read (`vault:kv/getSecretV2:getSecretV2`, the shared Secrets' data) answered from the
 * world's `kv`, as terraform-provider-vault's kv_secret_v2 data source answers: the secret's `data`, or an error
 * when there is none at the path (it fails the read, and the program with it); other invokes echo their inputs.
 * Read at every run, preview included: a value changed in Vault is what the next up writes.
 */
export function kvReads(kv: Record<string, Record<string, string>>) {
  return (r: { token: string; inputs: Record<string, unknown> }) => {
    if (r.token !== "vault:kv/getSecretV2:getSecretV2") return undefined;
    const at = `${String(r.inputs.mount)}/${String(r.inputs.name)}`;
    const data = Object.hasOwn(kv, at) ? kv[at] : undefined;
    if (!data) throw new Error(`no secret found at ${JSON.stringify(at)}`);
    return { ...r.inputs, data: { ...data } };
  };
}
