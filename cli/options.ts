/**
 * Options every command shares (ARCHITECTURE.md: --env, --registry, --source, --json) and how they become
 * load options.
 */
import { type Command, Option } from "commander";
import type { LoadOptions } from "../registry/load";
import { DEFAULT_SOURCE_SETTINGS, type SourceSettings, sourceOptions } from "../registry/settings";

export interface CommonOptions extends SourceSettings {
  env: string;
  json?: boolean;
}

export function withCommonOptions(cmd: Command): Command {
  return cmd
    .option("--env <name>", "environment: environments/<name>.yaml", "example")
    .option("--registry <dir>", "registry directory (YAML source)", DEFAULT_SOURCE_SETTINGS.registry)
    .addOption(
      new Option("--source <kind>", "where the registry lives")
        .choices(["yaml", "vault"])
        .default(DEFAULT_SOURCE_SETTINGS.source),
    )
    .addOption(
      new Option("--vault-layout <layout>", "Vault source layout")
        .choices(["single-secret", "per-tenant"])
        .default(DEFAULT_SOURCE_SETTINGS.vaultLayout),
    )
    .option("--vault-mount <mount>", "Vault KV v2 mount", DEFAULT_SOURCE_SETTINGS.vaultMount)
    .option(
      "--vault-path <path>",
      'secret path (single-secret, default "platform") or prefix (per-tenant, default "tenants")',
    )
    .option(
      "--vault-key <key>",
      "key holding the JSON registry (single-secret)",
      DEFAULT_SOURCE_SETTINGS.vaultKey,
    )
    .option("--json", "machine-readable output on stdout");
}

/** Turns common options plus the process environment into load options. */
export function loadOptions(opts: CommonOptions, env: NodeJS.ProcessEnv = process.env): LoadOptions {
  return { env: opts.env, source: sourceOptions(opts, env) };
}
