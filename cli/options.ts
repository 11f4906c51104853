/**
 * Options every command shares (ARCHITECTURE.md: --env, --registry, --source, --json) and how they become
 * load options.
 */
import { readFileSync } from "node:fs";
import { type Command, Option } from "commander";
import { parse } from "yaml";
import { UsageError } from "../components/core/problems";
import { checkEnvName } from "../components/core/schema";
import type { LoadOptions } from "../registry/load";
import { DEFAULT_SOURCE_SETTINGS, type SourceSettings, sourceOptions } from "../registry/settings";

export interface CommonOptions extends SourceSettings {
  env: string;
  json?: boolean;
}

/** The project's config file, in the directory tenancy runs in (ARCHITECTURE.md: the environment chosen once). */
export const CONFIG_FILE = "tenancy.yaml";
/** The variable naming the environment, ahead of the config file. */
export const ENV_VARIABLE = "TENANCY_ENV";
/** The environment when neither names one: the example the repository ships. */
export const FALLBACK_ENV = "example";

/** What the config file says: `env: <name>`, nothing else yet. Absent file: {}. */
export function readConfig(dir = "."): { env?: string } {
  const path = dir === "." ? CONFIG_FILE : `${dir}/${CONFIG_FILE}`;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new UsageError(`${path}: cannot be read: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text) ?? {};
  } catch (e) {
    throw new UsageError(`${path}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    throw new UsageError(`${path}: expected a mapping like "env: prod"`);
  const unknown = Object.keys(doc).filter((k) => k !== "env");
  if (unknown.length > 0)
    throw new UsageError(`${path}: unknown key ${JSON.stringify(unknown[0])} (the file holds env: <name>)`);
  const env = (doc as { env?: unknown }).env;
  if (env === undefined || env === null) return {};
  checkEnvName(env, `${path}: env:`);
  return { env };
}

/**
 * The environment when --env is not given, and where that comes from: TENANCY_ENV (empty counts as unset, as a
 * CI variable that is not defined expands to ""), else `env:` in tenancy.yaml, else the example.
 */
export function defaultEnv(env: NodeJS.ProcessEnv = process.env, dir = "."): { env: string; from: string } {
  const variable = env[ENV_VARIABLE]?.trim();
  if (variable) return { env: variable, from: ENV_VARIABLE };
  const config = readConfig(dir);
  if (config.env) return { env: config.env, from: CONFIG_FILE };
  return { env: FALLBACK_ENV, from: "default" };
}

export function withCommonOptions(cmd: Command): Command {
  return cmd
    .option(
      "--env <name>",
      `environment: environments/<name>.yaml (default: $${ENV_VARIABLE}, else env: in ${CONFIG_FILE}, else ${FALLBACK_ENV})`,
    )
    .hook("preAction", (_cmd, action) => {
      if (action.getOptionValue("env") === undefined)
        action.setOptionValueWithSource("env", defaultEnv().env, "default");
    })
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
