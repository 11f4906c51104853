/**
 * Where the registry comes from, as the CLI's options and the direct Pulumi path's stack config both say it
 * (one way of reading source settings), plus Vault's usual environment variables.
 */
import type { SourceOptions } from "./load";
import { UsageError } from "../components/core/problems";

export interface SourceSettings {
  registry: string;
  source: "yaml" | "vault";
  vaultLayout: "single-secret" | "per-tenant";
  vaultMount: string;
  vaultPath?: string;
  vaultKey: string;
}

export const DEFAULT_SOURCE_SETTINGS: SourceSettings = {
  registry: "tenants",
  source: "yaml",
  vaultLayout: "single-secret",
  vaultMount: "secret",
  vaultKey: "k8s_users",
};

/** The source to load from: the YAML directory, or Vault with VAULT_ADDR, VAULT_TOKEN and the client settings. */
export function sourceOptions(opts: SourceSettings, env: NodeJS.ProcessEnv = process.env): SourceOptions {
  let source: SourceOptions;
  if (opts.source === "vault") {
    const addr = env.VAULT_ADDR;
    const token = env.VAULT_TOKEN;
    if (!addr || !token)
      throw new UsageError("--source vault needs VAULT_ADDR and VAULT_TOKEN in the environment");
    const timeoutMs =
      env.VAULT_CLIENT_TIMEOUT === undefined ? undefined : vaultSeconds(env.VAULT_CLIENT_TIMEOUT) * 1000;
    const retries =
      env.VAULT_MAX_RETRIES === undefined
        ? undefined
        : wholeNumber("VAULT_MAX_RETRIES", env.VAULT_MAX_RETRIES);
    source = {
      kind: "vault",
      addr,
      token,
      ...(env.VAULT_NAMESPACE ? { namespace: env.VAULT_NAMESPACE } : {}),
      mount: opts.vaultMount,
      layout: opts.vaultLayout,
      path: opts.vaultPath ?? (opts.vaultLayout === "single-secret" ? "platform" : "tenants"),
      key: opts.vaultKey,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(retries !== undefined ? { retries } : {}),
    };
  } else {
    source = { kind: "yaml", dir: opts.registry };
  }
  return source;
}

function wholeNumber(name: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new UsageError(`${name} must be a whole number, got ${JSON.stringify(value)}`);
  return n;
}

/** VAULT_CLIENT_TIMEOUT as the Vault CLI reads it: seconds, or a duration like "30s" or "2m". */
function vaultSeconds(value: string): number {
  const m = /^(\d+)(s|m)?$/.exec(value.trim());
  if (!m)
    throw new UsageError(
      `VAULT_CLIENT_TIMEOUT must be seconds or a duration like "30s" or "2m", got ${JSON.stringify(value)}`,
    );
  return Number(m[1]) * (m[2] === "m" ? 60 : 1);
}
