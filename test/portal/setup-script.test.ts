/**
 * The setup script, run for real with `sh` (dash on Debian, so POSIX) and bash in a sandbox (./sandbox.ts):
 * HOME a temp dir, PATH only stubs and a few real tools, a stub curl that records its arguments.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { VAULT_CLI_VERSION, kubeconfigYaml, setupScript } from "../../portal/setup-script";
import type { RegistryModel } from "../../registry/model";
import { UsageError } from "../../components/core/problems";
import { runCli } from "../helpers/cli";
import { loadExample } from "../plan/registries";
import { STUB_BINARY, removeSandboxes, sandbox as sandboxOf } from "./sandbox";

let model: RegistryModel;
beforeAll(async () => {
  model = await loadExample();
});
afterEach(removeSandboxes);
const sandbox = (tenant: string, opts: { missing?: string[] } = {}) =>
  sandboxOf(setupScript(model, tenant), opts);

describe("tenancy setup-script", () => {
  it("is valid sh and bash", () => {
    const s = sandbox("alice");
    for (const shell of ["bash", "sh"]) {
      const r = spawnSync(shell, ["-n", s.script], { encoding: "utf8" });
      expect(r.stderr, shell).toBe("");
      expect(r.status, shell).toBe(0);
    }
    expect(readFileSync(s.script, "utf8")).toMatch(/^#!\/bin\/sh\n[\s\S]*\nset -eu\n/);
  });

  it.each(["/bin/sh", "/bin/bash"])(
    "with %s, kubectl and the plugin present: downloads nothing and writes ~/.kube/config, readable only by the user",
    (shell) => {
      const s = sandbox("alice");
      const r = s.run(shell);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(s.curls()).toEqual([]);
      const config = join(s.home, ".kube", "config");
      expect(readFileSync(config, "utf8")).toBe(kubeconfigYaml(model, "alice"));
      expect(statSync(config).mode & 0o777).toBe(0o600);
      expect(r.stdout).toContain(`kubectl: ${join(s.bin, "kubectl")}`);
      expect(r.stdout).toContain("Try: kubectl --context main-alice get pods");
      // nothing installed
      expect(existsSync(join(s.home, ".local", "bin", "kubectl"))).toBe(false);
    },
  );

  it("never overwrites an existing kubeconfig: writes its own file beside it, says how to merge, backs up its own", () => {
    const s = sandbox("alice");
    mkdirSync(join(s.home, ".kube"));
    const config = join(s.home, ".kube", "config");
    writeFileSync(config, "apiVersion: v1\nkind: Config\n# mine\n");
    const r = s.run();
    expect(r.code).toBe(0);
    expect(readFileSync(config, "utf8")).toBe("apiVersion: v1\nkind: Config\n# mine\n");
    const own = join(s.home, ".kube", "tenancy-example-alice.yaml");
    expect(readFileSync(own, "utf8")).toBe(kubeconfigYaml(model, "alice"));
    expect(r.stdout).toContain(`Left your existing ${config} untouched and wrote ${own}.`);
    expect(r.stdout).toContain(`export KUBECONFIG="${config}:${own}"`);
    expect(r.stdout).toContain("kubectl config view --flatten");
    // again, unchanged: nothing new
    expect(s.run().code).toBe(0);
    expect(readdirSync(join(s.home, ".kube")).sort()).toEqual(["config", "tenancy-example-alice.yaml"]);
    // its own file edited: kept as a backup before it is written again
    writeFileSync(own, "edited\n");
    const again = s.run();
    expect(again.code).toBe(0);
    const backups = readdirSync(join(s.home, ".kube")).filter((f) => f.endsWith(".bak"));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(s.home, ".kube", backups[0]!), "utf8")).toBe("edited\n");
    expect(readFileSync(own, "utf8")).toBe(kubeconfigYaml(model, "alice"));
    // an up-to-date ~/.kube/config is left as it is
    writeFileSync(config, kubeconfigYaml(model, "alice"));
    expect(s.run().stdout).toContain(`${config} is up to date`);
  });

  it("downloads kubectl and kubelogin from their official releases when missing, checksums verified", () => {
    const s = sandbox("alice", { missing: ["kubectl", "kubectl-oidc_login"] });
    const r = s.run();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const urls = s.curls().map((line) => line.split(" ").at(-1));
    expect(urls).toEqual([
      "https://dl.k8s.io/release/stable.txt",
      "https://dl.k8s.io/release/v1.31.0/bin/linux/amd64/kubectl",
      "https://dl.k8s.io/release/v1.31.0/bin/linux/amd64/kubectl.sha256",
      "https://github.com/int128/kubelogin/releases/latest/download/kubelogin_linux_amd64.zip",
      "https://github.com/int128/kubelogin/releases/latest/download/kubelogin_linux_amd64.zip.sha256",
    ]);
    // failing on HTTP errors, following redirects (GitHub's release downloads redirect)
    for (const line of s.curls()) expect(line).toMatch(/^-fsSL /);
    const installed = join(s.home, ".local", "bin");
    expect(readFileSync(join(installed, "kubectl"), "utf8")).toBe(STUB_BINARY);
    expect(readFileSync(join(installed, "kubectl-oidc_login"), "utf8")).toBe("kubelogin\n");
    expect(statSync(join(installed, "kubectl")).mode & 0o111).not.toBe(0);
    expect(r.stdout).toContain(`Add ${installed} to your PATH`);
    expect(readFileSync(join(s.home, ".kube", "config"), "utf8")).toBe(kubeconfigYaml(model, "alice"));
  });

  it("picks the download for the machine, and the versions asked for", () => {
    const s = sandbox("bob", { missing: ["kubectl", "kubectl-oidc_login"] });
    const r = s.run("/bin/sh", {
      STUB_OS: "Darwin",
      STUB_ARCH: "arm64",
      KUBECTL_VERSION: "v1.30.4",
      KUBELOGIN_VERSION: "v1.32.0",
    });
    expect(r.code).toBe(0);
    expect(s.curls().map((line) => line.split(" ").at(-1))).toEqual([
      "https://dl.k8s.io/release/v1.30.4/bin/darwin/arm64/kubectl",
      "https://dl.k8s.io/release/v1.30.4/bin/darwin/arm64/kubectl.sha256",
      "https://github.com/int128/kubelogin/releases/download/v1.32.0/kubelogin_darwin_arm64.zip",
      "https://github.com/int128/kubelogin/releases/download/v1.32.0/kubelogin_darwin_arm64.zip.sha256",
    ]);
  });

  it("installs the Vault CLI when missing, from HashiCorp's releases, checked against its SHA256SUMS", () => {
    const s = sandbox("alice", { missing: ["vault"] });
    const r = s.run("/bin/sh", { STUB_OS: "Darwin", STUB_ARCH: "arm64" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(s.curls().map((line) => line.split(" ").at(-1))).toEqual([
      `https://releases.hashicorp.com/vault/${VAULT_CLI_VERSION}/vault_${VAULT_CLI_VERSION}_darwin_arm64.zip`,
      `https://releases.hashicorp.com/vault/${VAULT_CLI_VERSION}/vault_${VAULT_CLI_VERSION}_SHA256SUMS`,
    ]);
    const installed = join(s.home, ".local", "bin", "vault");
    expect(readFileSync(installed, "utf8")).toBe("vault\n");
    expect(statSync(installed).mode & 0o111).not.toBe(0);

    // another zip's checksum in the list, or none for this platform: not installed
    const bad = sandbox("alice", { missing: ["vault"] });
    const b = bad.run("/bin/sh", { STUB_VAULT_SHA: "0".repeat(64) });
    expect(b.code).toBe(1);
    expect(b.stderr).toContain("setup: checksum mismatch for vault: not installed");
    expect(existsSync(join(bad.home, ".local", "bin", "vault"))).toBe(false);
    const arm = sandbox("alice", { missing: ["vault"] });
    const a = arm.run("/bin/sh", { STUB_OS: "Darwin", STUB_ARCH: "armv7l" });
    expect(a.code).toBe(1);
    expect(a.stderr).toContain("checksum mismatch for vault");

    const odd = sandbox("alice", { missing: ["vault"] });
    const v = odd.run("/bin/sh", { VAULT_VERSION: "1.18.1;touch x" });
    expect(v.code).toBe(1);
    expect(v.stderr).toContain("unexpected version");
    expect(odd.curls()).toEqual([]);

    const pinned = sandbox("alice", { missing: ["vault"] });
    expect(pinned.run("/bin/sh", { VAULT_VERSION: "1.17.6" }).code).toBe(0);
    expect(pinned.curls()[0]).toContain("/vault/1.17.6/vault_1.17.6_linux_amd64.zip");
  });

  it("installs nothing whose checksum does not match, on an unknown system, or of a strange version", () => {
    const bad = sandbox("alice", { missing: ["kubectl"] });
    const r = bad.run("/bin/sh", { STUB_SHA: "0".repeat(64) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("setup: checksum mismatch for kubectl: not installed");
    expect(existsSync(join(bad.home, ".local", "bin", "kubectl"))).toBe(false);
    expect(existsSync(join(bad.home, ".kube"))).toBe(false);

    const sun = sandbox("alice", { missing: ["kubectl"] });
    const s = sun.run("/bin/sh", { STUB_OS: "SunOS" });
    expect(s.code).toBe(1);
    expect(s.stderr).toContain("unsupported operating system SunOS");
    expect(sun.curls()).toEqual([]);

    const odd = sandbox("alice", { missing: ["kubectl"] });
    const v = odd.run("/bin/sh", { KUBECTL_VERSION: "v1;touch x" });
    expect(v.code).toBe(1);
    expect(v.stderr).toContain("unexpected version v1;touch x");
    expect(odd.curls()).toEqual([]);
  });

  it("refuses unknown and offboarding tenants; the CLI prints the script the portal offers", () => {
    expect(() => setupScript(model, "nobody")).toThrow(new UsageError("no such tenant: nobody"));
    expect(() => setupScript(model, "dave")).toThrow(UsageError);
    const r = runCli(["setup-script", "carol"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("TENANT='carol'");
    expect(r.stdout).toMatch(
      /# Generated from (registry commit [0-9a-f]{40}|a registry that is not a git checkout)/,
    );
    expect(runCli(["setup-script", "dave"]).code).toBe(2);
    expect(runCli(["setup-script"]).code).toBe(2);
  });
});
