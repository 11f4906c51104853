/**
 * Loading the registry and environment from the configured source: the one entry point every command
 * and every stack uses.
 */
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { RegistryModel, TenantDocument } from "./model";
import { InvalidInputError, UsageError, showList } from "../components/core/problems";
import { checkEnvName } from "../components/core/schema";
import { loadYamlDocuments, readYamlFile, symlinkedDirectory } from "./source-yaml";
import { type VaultSourceOptions, loadVaultDocuments } from "./source-vault";
import { buildRegistry } from "./validate";

export type SourceOptions = { kind: "yaml"; dir: string } | ({ kind: "vault" } & VaultSourceOptions);

export interface LoadOptions {
  /** Environment name: `environments/<env>.yaml`. */
  env: string;
  /** Directory holding `environments/` (default: the current directory). */
  root?: string;
  source: SourceOptions;
  /**
   * The source's documents, read already (a Vault write validates what it read, with check-and-set on that
   * version: read once, never twice). @default - read from `source`
   */
  documents?: TenantDocument[];
}

export function environmentPath(env: string, root = "."): string {
  checkEnvName(env);
  const path = join(root, "environments", `${env}.yaml`);
  if (!exists(path)) {
    let known: string[] = [];
    try {
      known = readdirSync(join(root, "environments"))
        .filter((f) => f.endsWith(".yaml"))
        .map((f) => f.slice(0, -5));
    } catch {
      // no environments directory: say so below
    }
    throw new UsageError(
      `no environment ${JSON.stringify(env)}: ${path} does not exist (environments: ${showList(known) || "none found"})`,
    );
  }
  return path;
}

/** lstat, not exists: a link, even a dangling one, exists (and is refused when read, by readEnvironment). */
function exists(path: string): boolean {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false; // e.g. ENOTDIR: environments is a file
  }
}

/**
 * The environment file, read like a tenant file: a regular file in a real `environments/` directory. A
 * symbolic link is refused even when it points at another environment's file in the same directory, so the
 * file a pull request shows is the file that is applied: copy the file instead of linking it.
 */
function readEnvironment(path: string, root: string): ReturnType<typeof readYamlFile> {
  const linked = symlinkedDirectory(
    join(root, "environments"),
    "environments/ must be a real directory where tenancy runs",
  );
  return linked ? { ok: false, problems: [linked] } : readYamlFile(path);
}

export async function loadDocuments(source: SourceOptions): Promise<TenantDocument[]> {
  return source.kind === "yaml" ? loadYamlDocuments(source.dir) : loadVaultDocuments(source);
}

/**
 * Loads and validates; throws InvalidInputError (exit 1), UsageError (2) or ExternalError (4). `edit` changes
 * the documents before validation: the registry as it would be with a record written (`tenancy onboard`).
 */
export async function loadRegistry(
  opts: LoadOptions,
  edit: (docs: TenantDocument[]) => TenantDocument[] = (docs) => docs,
): Promise<RegistryModel> {
  const envPath = environmentPath(opts.env, opts.root);
  const envFile = readEnvironment(envPath, opts.root ?? ".");
  let docs: TenantDocument[];
  try {
    docs = edit(opts.documents ?? (await loadDocuments(opts.source)));
  } catch (e) {
    // the registry itself is unreadable: report that together with the environment's problems
    if (e instanceof InvalidInputError && !envFile.ok)
      throw new InvalidInputError([...envFile.problems, ...e.problems]);
    throw e;
  }
  const envDoc = envFile.ok
    ? { name: opts.env, source: envPath, data: envFile.data }
    : { name: opts.env, source: envPath, data: undefined, problems: envFile.problems };
  // the registry's own secret (or prefix) in Vault is the platform's: no tenant may be granted its first segment
  // (top-level and per-namespace paths), no shared object may copy it
  const source = opts.source;
  if (source.kind !== "vault") return buildRegistry(envDoc, docs);
  // as the Vault client reads them: without leading and trailing slashes
  const trim = (p: string) => p.replace(/^\/+|\/+$/g, "");
  const path = trim(source.path);
  return buildRegistry(envDoc, docs, {
    platformVaultPaths: [path.split("/")[0]!],
    registrySecret: { mount: trim(source.mount), path, layout: source.layout },
  });
}
