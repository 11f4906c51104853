/**
 * Which registry a portal was generated from: the git commit of the registry directory when it is a git work
 * tree (and whether it has uncommitted changes), else that it is not a git checkout.
 */
import { execFileSync } from "node:child_process";
import { basename, dirname } from "node:path";

export interface Provenance {
  environment: string;
  /** `git rev-parse HEAD` of the registry directory; absent when it is no git work tree. */
  commit?: string;
  /** `git status --porcelain` of the registry (and the environment file) is not empty. */
  uncommitted: boolean;
}

/** Runs git with these arguments in `cwd` and returns its stdout; throws when git fails. */
export type GitRunner = (args: string[], cwd: string) => string;

const runGit: GitRunner = (args, cwd) =>
  execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });

/**
 * The revision of `registryDir`: its HEAD, and whether it (or the environment file) has uncommitted changes;
 * no commit when the directory is not in a git work tree (or there is no git).
 */
export function registryProvenance(
  environment: string,
  registryDir: string,
  environmentFile?: string,
  git: GitRunner = runGit,
): Provenance {
  let commit: string;
  try {
    if (git(["rev-parse", "--is-inside-work-tree"], registryDir).trim() !== "true")
      return { environment, uncommitted: false };
    commit = git(["rev-parse", "HEAD"], registryDir).trim();
  } catch {
    // not a work tree, a repository without commits, or no git at all: no commit to name
    return { environment, uncommitted: false };
  }
  let status = git(["status", "--porcelain", "--", "."], registryDir);
  if (environmentFile !== undefined) {
    try {
      status += git(["status", "--porcelain", "--", basename(environmentFile)], dirname(environmentFile));
    } catch {
      // the environment file is in no work tree: the registry's commit is what there is to say
    }
  }
  return { environment, commit, uncommitted: status.trim() !== "" };
}

/** The line every page carries. */
export function describeProvenance(p: Provenance): string {
  const source = p.commit
    ? `registry commit ${p.commit}${p.uncommitted ? " (with uncommitted changes)" : ""}`
    : "a registry that is not a git checkout";
  return `Generated from ${source}, environment ${p.environment}.`;
}
