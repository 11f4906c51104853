/**
 * Options every command shares (DESIGN.md: --env, --registry, --source, --json) and how they become
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
    source = {
      kind: "vault",
      addr,
      token,
      ...(env.VAULT_NAMESPACE ? { namespace: env.VAULT_NAMESPACE } : {}),
      mount: opts.vaultMount,
      layout: opts.vaultLayout,
      path: opts.vaultPath ?? (opts.vaultLayout === "single-secret" ? "platform" : "tenants"),
      key: opts.vaultKey,
    };
  } else {
    source = { kind: "yaml", dir: opts.registry };
  }
  return { env: opts.env, source };
}
