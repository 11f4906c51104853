/**
 * The GitHub pipeline's required check on privilege raises (issue 27): the pull request job's own Diff and
 * approval steps, run as written by bash in a throwaway registry repository, with `gh` answering the pull
 * request's reviews as GitHub lists them (a stand-in on PATH: no network) and `npx tenancy` the CLI. Bob's
 * promotion approved by bob's team alone fails the job; an admin's approval of the head commit passes it.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT, copyExample } from "./helpers/cli";

interface Step {
  name?: string;
  id?: string;
  if?: string;
  run?: string;
  env?: Record<string, string>;
}
const workflow = parse(readFileSync(join(ROOT, "pipelines", "github-actions.yml"), "utf8")) as {
  jobs: Record<string, { steps: Step[] }>;
};
const steps = workflow.jobs.diff!.steps;
const diffStep = steps.find((s) => s.id === "diff")!;
const approval = steps.find((s) => /tenancy approve-check/.test(s.run ?? ""))!;
const HEAD_SHA = "0123456789abcdef0123456789abcdef01234567";

let repo: string;
const git = (...args: string[]) => {
  const r = spawnSync("git", ["-C", repo, "-c", "user.email=t@example.com", "-c", "user.name=t", ...args], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(r.stderr);
};

/** Runs a step's script as Actions runs it (bash -e), with the stand-ins for gh and npx, and the job's env. */
function runStep(step: Step, reviews: unknown[], vars: Record<string, string> = {}) {
  const bin = join(repo, ".bin");
  const output = join(repo, "github-output");
  writeFileSync(join(repo, "reviews.given.json"), JSON.stringify(reviews));
  writeFileSync(output, "");
  const env: Record<string, string> = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: process.env.HOME ?? repo,
    GITHUB_REPOSITORY: "example-org/registry",
    GITHUB_OUTPUT: output,
    GH_TOKEN: "unused",
    PR_NUMBER: "7",
    PR_SHA: HEAD_SHA,
    ADMIN_MEMBERS: "",
    ...vars,
  };
  const r = spawnSync("bash", ["-e", "-c", step.run!], {
    cwd: repo,
    env,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, output: readFileSync(output, "utf8") };
}

beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), "tenancy-approval-"));
  copyExample(repo);
  git("init", "-q");
  git("add", ".");
  git("commit", "-q", "-m", "base");
  const bin = join(repo, ".bin");
  mkdirSync(bin);
  // gh api --paginate .../reviews: the given reviews, one page
  writeFileSync(join(bin, "gh"), `#!/bin/sh\ncat "${join(repo, "reviews.given.json")}"\n`);
  writeFileSync(
    join(bin, "npx"),
    `#!/bin/sh\n[ "$1" = tenancy ] || exit 127\nshift\nexec "${process.execPath}" "${join(ROOT, "bin", "tenancy.cjs")}" "$@"\n`,
  );
  chmodSync(join(bin, "gh"), 0o755);
  chmodSync(join(bin, "npx"), 0o755);
  // bob's promotion, as the pull request's registry files
  const bob = join(repo, "tenants", "bob.yaml");
  writeFileSync(bob, readFileSync(bob, "utf8").replace("role: power-user", "role: admin"));
});
afterEach(() => rmSync(repo, { recursive: true, force: true }));

const review = (login: string) => ({ user: { login }, state: "APPROVED", commit_id: HEAD_SHA });
const ADMINS = { ADMIN_MEMBERS: JSON.stringify(["platform-lead"]) };

describe("the pull request job's required check on privilege raises", () => {
  it("runs only when the diff says privileges rise (exit 6), which the Diff step lets through", () => {
    expect(approval.if).toBe("steps.diff.outputs.code == '6'");
    const d = runStep(diffStep, []);
    expect(d.code).toBe(0);
    expect(d.output).toBe("code=6\n");
  });

  it("bob's team alone cannot pass bob's promotion; an admin's approval passes it", () => {
    const team = runStep(approval, [review("bob-maintainer"), review("carol-example")], ADMINS);
    expect(team.code).toBe(6);
    expect(team.stderr).toMatch(/need the approval of a platform admin/);
    const admin = runStep(approval, [review("bob-maintainer"), review("platform-lead")], ADMINS);
    expect(admin.stderr).toBe("");
    expect(admin.code).toBe(0);
    // the admin team's members not kept in the repository variable: nobody counts as an admin
    expect(runStep(approval, [review("platform-lead")]).code).toBe(6);
  });
});
