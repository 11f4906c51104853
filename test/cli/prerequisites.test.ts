/**
 * A real run's prerequisites, checked before anything and reported together (deploy/prerequisites.ts): a new
 * user with none of them learns every one in one run, with exit 2, and nothing is touched.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";

const bare = () => {
  const dir = mkdtempSync(join(tmpdir(), "tenancy-prereq-"));
  // no pulumi on PATH, a kubeconfig with another context only, no tokens
  writeFileSync(
    join(dir, "config"),
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:1" } }],
      users: [{ name: "u", user: { token: "t" } }],
      contexts: [{ name: "elsewhere", context: { cluster: "c", user: "u" } }],
      "current-context": "elsewhere",
    }),
  );
  return { PATH: dir, KUBECONFIG: join(dir, "config"), VAULT_TOKEN: "", CLOUDFLARE_API_TOKEN: "" };
};

describe("prerequisites", () => {
  it.each(["adopt", "up", "preview", "drift"])("%s reports every missing one at once, exit 2", (command) => {
    const env = bare();
    const r = runCli([command], { env });
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^tenancy: cannot (adopt|up|preview|look for drift) yet/);
    expect(lines.slice(1)).toEqual([
      "  the Pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/install/) and log in to a backend",
      `  cluster main: kubeconfig context example-admin not found (${env.KUBECONFIG})`,
      `  cluster eu-gpu: kubeconfig context example-gpu-admin not found (${env.KUBECONFIG})`,
      `  cluster us-east: kubeconfig context example-us-admin not found (${env.KUBECONFIG})`,
      "  VAULT_TOKEN is not set: the vault and ci layers write Vault, and the preflight looks up its identities",
      "  CLOUDFLARE_API_TOKEN is not set: the preflight looks up the DNS records the dns layer would create",
    ]);
  });

  it("a dns-only run asks for the default cluster (the lease) and Cloudflare, not Vault", () => {
    const env = bare();
    const r = runCli(["up", "--layer", "dns"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cluster main:");
    expect(r.stderr).not.toContain("cluster eu-gpu:");
    expect(r.stderr).not.toContain("VAULT_TOKEN");
    expect(r.stderr).toContain("CLOUDFLARE_API_TOKEN");
  });
});
