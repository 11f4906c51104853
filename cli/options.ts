/**
 * Options every command shares (ARCHITECTURE.md: --env, --registry, --source, --json) and how they become
 * load options.
 */
import { type Command, Option } from "commander";
import type { LoadOptions, SourceOptions } from "../registry/load";
import { UsageError } from "../registry/problems";

export interface CommonOptions {
  env: string;
  registry: string;
  source: "yaml" | "vault";
  vaultLayout: "single-secret" | "per-tenant";
  vaultMount: string;
  vaultPath?: string;
  vaultKey: string;
  json?: boolean;
}

export function withCommonOptions(cmd: Command): Command {
  return cmd
    .option("--env <name>", "environment: environments/<name>.yaml", "example")
    .option("--registry <dir>", "registry directory (YAML source)", "tenants")
    .addOption(
      new Option("--source <kind>", "where the registry lives").choices(["yaml", "vault"]).default("yaml"),
    )
    .addOption(
      new Option("--vault-layout <layout>", "Vault source layout")
        .choices(["single-secret", "per-tenant"])
        .default("single-secret"),
    )
    .option("--vault-mount <mount>", "Vault KV v2 mount", "secret")
    .option(
      "--vault-path <path>",
      'secret path (single-secret, default "platform") or prefix (per-tenant, default "tenants")',
    )
    .option("--vault-key <key>", "key holding the JSON registry (single-secret)", "k8s_users")
    .option("--json", "machine-readable output on stdout");
}

/** Turns common options plus the process environment into load options. */
export function loadOptions(opts: CommonOptions, env: NodeJS.ProcessEnv = process.env): LoadOptions {
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
  return { env: opts.env, source };
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
