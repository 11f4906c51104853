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
  const fail = (message: string) => ({ ok: false as const, problems: [{ source: path, path: [], message }] });
  let bytes: Buffer;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return fail("is not a file; expected a YAML file");
    // refuse before reading a huge file into memory
    if (stat.size > MAX_FILE_BYTES)
      return fail(`file is ${stat.size} bytes; at most ${MAX_FILE_BYTES} bytes are accepted`);
    bytes = readFileSync(path);
  } catch (e) {
    return fail(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseYaml(bytes, path);
}

/**
 * Loads every `*.yaml` / `*.yml` file of a registry directory. A file that cannot be read or parsed comes back
 * as a document carrying its problems, so the other files are still validated and everything is reported at
 * once. Throws InvalidInputError only when the directory itself cannot be read.
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
  for (const name of names.sort()) {
    const ext = extname(name);
    if (!YAML_EXT.has(ext) || name.startsWith(".")) continue;
    const path = join(dir, name);
    const result = readYamlFile(path);
    const id = basename(name, ext);
    docs.push(
      result.ok
        ? { id, source: path, data: result.data }
        : { id, source: path, data: undefined, problems: result.problems },
    );
  }
  // an empty registry is far more often a wrong --registry than a platform without tenants
  if (docs.length === 0)
    throw new InvalidInputError([
      { source: dir, path: [], message: "holds no tenant files (*.yaml); is --registry right?" },
    ]);
  return docs;
}
