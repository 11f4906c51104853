/**
 * The YAML directory source: one file per tenant, `tenants/<id>.yaml`, file name = tenant id.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
} from "node:fs";
import { basename, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { TenantDocument } from "./model";
import { MAX_FILE_BYTES, parseYaml } from "./parse";
import { InvalidInputError, type Problem } from "../components/core/problems";

const YAML_EXT = new Set([".yaml", ".yml"]);

/**
 * Symbolic links are refused, never followed: a registry change could otherwise point a file at one outside
 * the registry (a token file in CI) and have its content quoted in a message. The message names the link
 * only, never its target.
 */
const SYMLINK =
  "is a symbolic link; registry and environment files must be regular files, and links are not followed (copy the file instead)";
/** Opened without following a link (so one swapped in after the lstat is refused too), without blocking on a FIFO. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** Reads one YAML file into data, or problems; never throws for bad content. Refuses symbolic links. */
export function readYamlFile(path: string): { ok: true; data: unknown } | { ok: false; problems: Problem[] } {
  const fail = (message: string) => ({ ok: false as const, problems: [{ source: path, path: [], message }] });
  let bytes: Buffer;
  try {
    // with O_NOFOLLOW the open itself refuses a link (ELOOP, below): the lstat is for systems without it
    if (!constants.O_NOFOLLOW && lstatSync(path).isSymbolicLink()) return fail(SYMLINK);
    const fd = openSync(path, OPEN_FLAGS);
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) return fail("is not a file; expected a YAML file");
      // refuse before reading a huge file into memory
      if (stat.size > MAX_FILE_BYTES)
        return fail(`file is ${stat.size} bytes; at most ${MAX_FILE_BYTES} bytes are accepted`);
      // the size fstat gave and a byte more, to the end (a read may return less than asked, e.g. on a network
      // filesystem): a file that grew since is read again, whole, and refused by size when too large
      const buffer = Buffer.allocUnsafe(stat.size + 1);
      let read = 0;
      for (let n = -1; n !== 0 && read < buffer.length; read += n)
        n = readSync(fd, buffer, read, buffer.length - read, read);
      bytes = read <= stat.size ? buffer.subarray(0, read) : readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // O_NOFOLLOW's answer for a link
    if (code === "ELOOP") return fail(SYMLINK);
    return fail(`cannot read: ${code ?? (e as Error).message}`);
  }
  return parseYaml(bytes, path);
}

/**
 * A directory files are read from, refused when it is a symbolic link or lies behind one: the registry
 * directory or `environments/` turned into a link (or a parent turned into one) would have files elsewhere
 * read. Only the part of the path under the working directory is checked: that is the repository a registry
 * change can alter; a directory named outside it is the caller's choice (its own last part is still checked).
 * Returns the problem, naming the link, if any; `fix` says what to do instead.
 */
export function symlinkedDirectory(dir: string, fix: string): Problem | undefined {
  const cwd = process.cwd();
  const full = resolve(dir);
  const below = relative(cwd, full);
  const candidates =
    below === "" || below === ".." || below.startsWith(`..${sep}`) || isAbsolute(below)
      ? [full]
      : below.split(sep).map((_, i, parts) => join(cwd, ...parts.slice(0, i + 1)));
  const link = candidates.find((path) => {
    try {
      return lstatSync(path).isSymbolicLink();
    } catch {
      return false; // missing or unreadable: the read that follows says so
    }
  });
  if (link === undefined) return undefined;
  const shown = link === full ? dir : relative(cwd, link);
  return { source: shown, path: [], message: `is a symbolic link; links are not followed: ${fix}` };
}

/**
 * Loads every `*.yaml` / `*.yml` file of a registry directory. A file that cannot be read or parsed comes back
 * as a document carrying its problems, so the other files are still validated and everything is reported at
 * once. Throws InvalidInputError only when the directory itself cannot be read.
 */
export function loadYamlDocuments(dir: string): TenantDocument[] {
  const linked = symlinkedDirectory(dir, "name the real registry directory with --registry");
  if (linked) throw new InvalidInputError([linked]);
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
    if (name.startsWith(".")) continue;
    const path = join(dir, name);
    if (!YAML_EXT.has(ext)) {
      // a file that looks like a record but would be skipped (mallory.YAML, bob.yaml.txt, carol) is reported:
      // a tenant silently left out of the registry is a tenant the guard sees removed
      let file = false;
      try {
        file = lstatSync(path).isFile();
      } catch {
        // gone since the listing: nothing to report
      }
      if (file)
        docs.push({
          id: basename(name, ext),
          source: path,
          data: undefined,
          stray: true,
          problems: [
            {
              source: path,
              path: [],
              message: `not a tenant file: tenant files are named <id>.yaml or <id>.yml (lowercase); rename it, or move it out of the registry directory`,
            },
          ],
        });
      continue;
    }
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
