/**
 * The YAML directory source: one file per tenant, `tenants/<id>.yaml`, file name = tenant id.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import type { TenantDocument } from "./model";
import { MAX_FILE_BYTES, parseYaml } from "./parse";
import { InvalidInputError, type Problem } from "./problems";

const YAML_EXT = new Set([".yaml", ".yml"]);

/** Reads one YAML file into data, or problems; never throws for bad content. */
export function readYamlFile(path: string): { ok: true; data: unknown } | { ok: false; problems: Problem[] } {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    return {
      ok: false,
      problems: [{ source: path, path: [], message: `cannot read: ${(e as Error).message}` }],
    };
  }
  // refuse before reading a huge file into memory
  if (size > MAX_FILE_BYTES)
    return {
      ok: false,
      problems: [
        {
          source: path,
          path: [],
          message: `file is ${size} bytes; at most ${MAX_FILE_BYTES} bytes are accepted`,
        },
      ],
    };
  return parseYaml(readFileSync(path), path);
}

/**
 * Loads every `*.yaml` / `*.yml` file of a registry directory. Throws InvalidInputError carrying every
 * file-level problem (unreadable, not YAML, not a mapping, ...) at once.
 */
export function loadYamlDocuments(dir: string): TenantDocument[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new InvalidInputError([
      {
        source: dir,
        path: [],
        message: `cannot read the registry directory: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      },
    ]);
  }
  const docs: TenantDocument[] = [];
  const problems: Problem[] = [];
  for (const name of names.sort()) {
    const ext = extname(name);
    if (!YAML_EXT.has(ext) || name.startsWith(".")) continue;
    const path = join(dir, name);
    const result = readYamlFile(path);
    if (result.ok) docs.push({ id: basename(name, ext), source: path, data: result.data });
    else problems.push(...result.problems);
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return docs;
}
