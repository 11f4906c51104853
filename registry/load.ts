/**
 * Loading the registry and environment from the configured source: the one entry point every command
 * and every stack uses.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { RegistryModel, TenantDocument } from "./model";
import { InvalidInputError, UsageError } from "./problems";
import { isLabel } from "./schema";
import { loadYamlDocuments, readYamlFile } from "./source-yaml";
import { type VaultSourceOptions, loadVaultDocuments } from "./source-vault";
import { buildRegistry } from "./validate";

export type SourceOptions = { kind: "yaml"; dir: string } | ({ kind: "vault" } & VaultSourceOptions);

export interface LoadOptions {
  /** Environment name: `environments/<env>.yaml`. */
  env: string;
  /** Directory holding `environments/` (default: the current directory). */
  root?: string;
  source: SourceOptions;
}

export function environmentPath(env: string, root = "."): string {
  if (!isLabel(env))
    throw new UsageError(
      `--env ${JSON.stringify(env)} is not a valid environment name (lowercase letters, digits, dashes)`,
    );
  const path = join(root, "environments", `${env}.yaml`);
  if (!existsSync(path)) {
    let known: string[] = [];
    try {
      known = readdirSync(join(root, "environments"))
        .filter((f) => f.endsWith(".yaml"))
        .map((f) => f.slice(0, -5));
    } catch {
      // no environments directory: say so below
    }
    throw new UsageError(
      `no environment ${JSON.stringify(env)}: ${path} does not exist (environments: ${known.join(", ") || "none found"})`,
    );
  }
  return path;
}

export async function loadDocuments(source: SourceOptions): Promise<TenantDocument[]> {
  return source.kind === "yaml" ? loadYamlDocuments(source.dir) : loadVaultDocuments(source);
}

/** Loads and validates; throws InvalidInputError (exit 1), UsageError (2) or ExternalError (4). */
export async function loadRegistry(opts: LoadOptions): Promise<RegistryModel> {
  const envPath = environmentPath(opts.env, opts.root);
  const envFile = readYamlFile(envPath);
  let docs: TenantDocument[];
  try {
    docs = await loadDocuments(opts.source);
  } catch (e) {
    // the registry itself is unreadable: report that together with the environment's problems
    if (e instanceof InvalidInputError && !envFile.ok)
      throw new InvalidInputError([...envFile.problems, ...e.problems]);
    throw e;
  }
  const envDoc = envFile.ok
    ? { name: opts.env, source: envPath, data: envFile.data }
    : { name: opts.env, source: envPath, data: undefined, problems: envFile.problems };
  return buildRegistry(envDoc, docs);
}
