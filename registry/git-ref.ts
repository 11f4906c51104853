/**
 * The registry as it was at a git ref, for `tenancy diff`: the environment file and the registry directory
 * written out of git's object store into a fresh temporary directory, never touching the working tree. Links
 * are written as links, so the YAML source refuses them exactly as it refuses them in a working tree.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ExternalError, UsageError } from "../components/core/problems";

function git(cwd: string, args: string[]): Buffer {
  const r = spawnSync("git", ["-C", cwd, ...args], { maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new ExternalError(`git could not run: ${r.error.message}`);
  if (r.status !== 0)
    throw new ExternalError(`git ${args[0]} failed: ${r.stderr.toString("utf8").trim().slice(0, 500)}`);
  return r.stdout;
}

/**
 * Writes `paths` (directories or files, relative to the repository's root) as they are at `ref` into a new
 * temporary directory, and returns it.
 */
export function checkoutAt(root: string, ref: string, paths: string[]): string {
  if (ref.startsWith("-") || /[\s\0]/.test(ref))
    throw new UsageError(`--base ${JSON.stringify(ref)} is not a git ref`);
  const top = git(root, ["rev-parse", "--show-toplevel"]).toString("utf8").trim();
  const verify = spawnSync("git", ["-C", root, "rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  if (verify.status !== 0) throw new UsageError(`--base ${JSON.stringify(ref)}: no such commit in ${top}`);
  const commit = verify.stdout.toString("utf8").trim();
  // paths relative to the repository's top, as ls-tree wants them
  const prefix = git(root, ["rev-parse", "--show-prefix"]).toString("utf8").trim();
  const out = mkdtempSync(join(tmpdir(), "tenancy-base-"));
  const listing = git(top, ["ls-tree", "-r", "-z", commit, "--", ...paths.map((p) => join(prefix, p))])
    .toString("utf8")
    .split("\0")
    .filter((l) => l.length > 0);
  for (const line of listing) {
    const tab = line.indexOf("\t");
    const [mode, type, hash] = line.slice(0, tab).split(" ") as [string, string, string];
    const full = line.slice(tab + 1);
    if (type !== "blob" || !full.startsWith(prefix)) continue;
    const rel = full.slice(prefix.length);
    if (rel.split("/").some((s) => s === ".." || s === "")) continue;
    const target = join(out, rel);
    mkdirSync(dirname(target), { recursive: true });
    const content = git(top, ["cat-file", "blob", hash]);
    if (mode === "120000") symlinkSync(content.toString("utf8"), target);
    else writeFileSync(target, content);
  }
  return out;
}
