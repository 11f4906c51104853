/**
 * The commit a program runs from, read from its git checkout without a git binary (the operator's workspace
 * image need not have one). The operator's workspace clones the Stack's repository with go-git and checks out
 * the commit it resolved from the branch (pulumi-kubernetes-operator agent/cmd/init.go, through the Automation
 * API's git setup: a detached HEAD holding the commit), then runs the program in that checkout.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** The `.git` directory of the checkout holding `dir` (a `.git` file names it: worktrees, submodules). */
function gitDir(dir: string): string | undefined {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const dotGit = join(d, ".git");
    if (existsSync(dotGit)) {
      if (statSync(dotGit).isDirectory()) return dotGit;
      const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, "utf8"));
      return m ? resolve(d, m[1]!.trim()) : undefined;
    }
    if (dirname(d) === d) return undefined;
  }
}

/** A ref's commit: its loose file, else packed-refs (a worktree's refs live in the common directory). */
function readRef(git: string, ref: string): string | undefined {
  const common = existsSync(join(git, "commondir"))
    ? resolve(git, readFileSync(join(git, "commondir"), "utf8").trim())
    : git;
  for (const base of [git, common]) {
    const loose = join(base, ref);
    if (existsSync(loose)) {
      const v = readFileSync(loose, "utf8").trim();
      return SHA.test(v) ? v : undefined;
    }
  }
  const packed = join(common, "packed-refs");
  if (!existsSync(packed)) return undefined;
  for (const line of readFileSync(packed, "utf8").split("\n")) {
    const [sha, name] = line.trim().split(/\s+/);
    if (name === ref && sha && SHA.test(sha)) return sha;
  }
  return undefined;
}

/** The commit checked out at `dir` (HEAD, detached or on a branch); undefined outside a git checkout. */
export function checkoutCommit(dir: string = process.cwd()): string | undefined {
  const git = gitDir(dir);
  if (!git || !existsSync(join(git, "HEAD"))) return undefined;
  const head = readFileSync(join(git, "HEAD"), "utf8").trim();
  if (SHA.test(head)) return head;
  const m = /^ref:\s*(\S+)$/.exec(head);
  return m ? readRef(git, m[1]!) : undefined;
}
