/**
 * A Vault KV v2 answer turned into a Secret's `data` (the `vaultKv` reference, ARCHITECTURE.md "Resources as
 * data"), checked first: Vault's answers are untrusted input like the registry (docs/safety.md). Every field the
 * declaration names must be there (an own key) and a non-empty string (the Vault provider hands every value as a
 * string, JSON-encoding any other; anything else is refused), the whole within Kubernetes' 1 MiB object limit, a
 * dockerconfigjson a JSON object. No message ever holds a value: only the path and the field.
 */

/** Kubernetes refuses objects above 1 MiB (etcd's request limit); the data's share of it. */
export const MAX_SECRET_BYTES = 1024 * 1024 - 16 * 1024;

export interface KvRead {
  mount: string;
  path: string;
  /** The Secret's data key -> the KV field. */
  keys: Record<string, string>;
  secretType: string;
}

/** The Secret's `data` (base64, as the API takes it) from the KV secret's fields, or an error naming what is wrong. */
export function kvSecretData(answer: unknown, read: KvRead): Record<string, string> {
  const where = `Vault KV secret ${read.mount}/data/${read.path}`;
  if (answer === null || typeof answer !== "object" || Array.isArray(answer))
    throw new Error(`${where}: no data (is the path right, and readable by the platform's token?)`);
  const data = answer as Record<string, unknown>;
  const out: Record<string, string> = {};
  let bytes = 0;
  for (const key of Object.keys(read.keys).sort()) {
    const field = read.keys[key]!;
    if (!Object.hasOwn(data, field))
      throw new Error(
        `${where}: has no field ${JSON.stringify(field)} (for the Secret's key ${JSON.stringify(key)})`,
      );
    const value = data[field];
    if (typeof value !== "string")
      throw new Error(`${where}: field ${JSON.stringify(field)} is not a string`);
    if (value.length === 0) throw new Error(`${where}: field ${JSON.stringify(field)} is empty`);
    if (key === ".dockerconfigjson" && !isJsonObject(value))
      throw new Error(`${where}: field ${JSON.stringify(field)} is not a JSON object (a dockerconfigjson)`);
    const encoded = Buffer.from(value, "utf8").toString("base64");
    bytes += encoded.length;
    if (bytes > MAX_SECRET_BYTES)
      throw new Error(`${where}: the fields read exceed ${MAX_SECRET_BYTES} bytes, more than a Secret holds`);
    out[key] = encoded;
  }
  return out;
}

function isJsonObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === "object" && !Array.isArray(v);
  } catch {
    return false;
  }
}
