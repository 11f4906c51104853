/**
 * The direct path in the operator's workspace (TENANCY_IN_CLUSTER=true; layers/in-cluster.ts): the default
 * cluster's provider is left to in-cluster config (neither context nor kubeconfig: with either, the provider
 * never falls back to the pod's service account), every other cluster's reads its mounted kubeconfig Secret; the
 * stack exports the commit of its checkout and refuses a prerequisite (dns: the platform stack) applied from
 * another commit or outside the operator. Outside the workspace nothing of this applies. The commit is read from
 * the checkout without a git binary, as `git rev-parse HEAD` reads it.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RecordedResource, runProgram } from "../../plan/harness";
import { SafetyError } from "../../components/core/problems";
import { program } from "../../stacks/direct";
import { checkoutCommit } from "../../deploy/checkout";
import { kubeconfigMountPath } from "../../layers/in-cluster";
import { EXAMPLE, ROOT } from "../helpers/cli";

const PLATFORM = "organization/tenancy/example-platform";
const main = () => program({ lease: async () => undefined });
const HEAD = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();

let startDir: string;
beforeAll(() => {
  startDir = process.cwd();
  process.chdir(EXAMPLE);
});
afterAll(() => process.chdir(startDir));
afterEach(() => {
  delete process.env.TENANCY_IN_CLUSTER;
});

const providerInputs = (resources: RecordedResource[], name: string) =>
  resources.find((r) => r.type === "pulumi:providers:kubernetes" && r.name === name)?.inputs;

describe("the direct path in the operator's workspace", () => {
  it("the default cluster in-cluster, the others from their mounted kubeconfig Secrets; the commit exported", async () => {
    process.env.TENANCY_IN_CLUSTER = "true";
    const run = await runProgram({ stack: "example-platform", stackOutputs: { [PLATFORM]: {} } }, main);
    const home = providerInputs(run.resources, "cluster-main")!;
    expect(home).toBeDefined();
    expect(home.context).toBeUndefined();
    expect(home.kubeconfig).toBeUndefined();
    expect(home.clusterIdentifier).toBe("example/main");
    expect(providerInputs(run.resources, "cluster-eu-gpu")).toMatchObject({
      context: "example-gpu-admin",
      kubeconfig: kubeconfigMountPath("eu-gpu"),
      clusterIdentifier: "example/eu-gpu",
    });
    expect(run.outputs.commit).toBe(HEAD);
  });

  it("outside it (the control): each cluster's context, no commit", async () => {
    const run = await runProgram({ stack: "example-platform", stackOutputs: { [PLATFORM]: {} } }, main);
    expect(providerInputs(run.resources, "cluster-main")).toMatchObject({ context: "example-admin" });
    expect(providerInputs(run.resources, "cluster-eu-gpu")!.kubeconfig).toBeUndefined();
    expect(run.outputs.commit).toBeUndefined();
  });

  it("dns refuses a platform stack applied from another commit, or outside the operator; runs once it applied this one", async () => {
    process.env.TENANCY_IN_CLUSTER = "true";
    const dns = (platform: Record<string, unknown>) =>
      runProgram({ stack: "example-dns", stackOutputs: { [PLATFORM]: platform } }, main);
    const other = "0123456789abcdef0123456789abcdef01234567";
    await expect(dns({ commit: other })).rejects.toThrow(SafetyError);
    await expect(dns({ commit: other })).rejects.toThrow(
      new RegExp(
        `runs commit ${HEAD.slice(0, 12)}, but its prerequisite was last applied from another[^]*example-platform: 0123456789ab`,
      ),
    );
    await expect(dns({})).rejects.toThrow(/example-platform: no commit \(not applied by the operator\)/);
    const ran = await dns({ commit: HEAD });
    expect(ran.outputs.commit).toBe(HEAD);
    // outside the workspace: no such check (tenancy up orders its stacks itself)
    delete process.env.TENANCY_IN_CLUSTER;
    await expect(dns({ commit: other })).resolves.toBeDefined();
  });

  it("the vault stack checks its own prerequisite, the platform stack", async () => {
    process.env.TENANCY_IN_CLUSTER = "true";
    const vault = (platform: Record<string, unknown>) =>
      runProgram({ stack: "example-vault", stackOutputs: { [PLATFORM]: platform } }, main);
    await expect(vault({ commit: "f".repeat(40) })).rejects.toThrow(/example-platform: ffffffffffff/);
  });
});

describe("the checkout's commit, without git", () => {
  const git = (cwd: string, ...args: string[]) =>
    execFileSync("git", args, {
      cwd,
      encoding: "utf8",
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@t",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@t",
      },
    }).trim();

  it("a branch, packed refs, a detached HEAD (as the operator's workspace checks out), a subdirectory; none outside a checkout", () => {
    const dir = mkdtempSync(join(tmpdir(), "tenancy-checkout-"));
    git(dir, "init", "-q", "-b", "main");
    writeFileSync(join(dir, "f"), "1");
    git(dir, "add", "f");
    git(dir, "commit", "-q", "-m", "one");
    const first = git(dir, "rev-parse", "HEAD");
    expect(checkoutCommit(dir)).toBe(first);
    git(dir, "pack-refs", "--all");
    expect(checkoutCommit(dir)).toBe(first);
    writeFileSync(join(dir, "f"), "2");
    git(dir, "commit", "-q", "-am", "two");
    git(dir, "checkout", "-q", "--detach", first);
    expect(checkoutCommit(dir)).toBe(first);
    git(dir, "checkout", "-q", "main");
    expect(checkoutCommit(join(dir))).toBe(git(dir, "rev-parse", "HEAD"));
    expect(checkoutCommit(tmpdir())).toBeUndefined();
  });
});
