/**
 * Shared Secrets with the registry read from Vault (docs/shared-objects.md, "Bounds"): the registry's own secret
 * (single-secret) or prefix (per-tenant) is never copied into namespaces, and nothing else is refused for it: the
 * docs' own example, a tier's pull secret at `platform/registry`, loads beside the default single secret
 * `platform` (`--vault-path platform`). Loaded as the CLI loads it (loadRegistry), from a local KV v2 server.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadRegistry } from "../../../registry/load";
import type { VaultSourceOptions } from "../../../registry/source-vault";
import { ROOT } from "../../helpers/cli";
import { type VaultServer, startVaultServer } from "../../helpers/vault-server";
import { PULL_SECRET, withTierObjects } from "./fixtures";
import { problemsOfAsync } from "../../helpers/problems";

const TOKEN = "hvs.TEST-shared-objects-registry-token";
const K8S_USERS = readFileSync(join(ROOT, "test", "fixtures", "vault", "k8s_users.json"), "utf8");

let server: VaultServer;
let root: string;
beforeAll(async () => {
  server = await startVaultServer({
    token: TOKEN,
    secrets: {
      platform: { k8s_users: K8S_USERS },
      "platform/records/ann": { email: "ann@example.com", namespaces: ["ann"] },
      "platform/records/ben": { email: "ben@example.com", namespaces: ["ben"] },
    },
    lifetimeMs: 60_000,
  });
  root = mkdtempSync(join(tmpdir(), "tenancy-shared-vault-"));
  mkdirSync(join(root, "environments"));
});
afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

/** The problems loading the registry from Vault reports with the tier's pull secret at `path`; [] when it loads. */
async function problems(
  path: string,
  source: Partial<VaultSourceOptions> = {},
  kvMount = "secret",
): Promise<string[]> {
  const env = withTierObjects([{ ...PULL_SECRET, vault: { ...PULL_SECRET.vault, path } }]);
  env.vault.kvMount = kvMount;
  writeFileSync(join(root, "environments", "example.yaml"), stringify(env));
  const found = await problemsOfAsync(() =>
    loadRegistry({
      env: "example",
      root,
      source: {
        kind: "vault",
        addr: server.url,
        token: TOKEN,
        mount: "secret",
        layout: "single-secret",
        path: "platform",
        key: "k8s_users",
        timeoutMs: 2000,
        retries: 0,
        ...source,
      },
    }),
  );
  return found.map((p) => p.replace(root, "<root>"));
}

describe("a shared Secret with the registry in Vault", () => {
  it("single-secret (`--vault-path platform`): the registry's secret itself is refused, a platform path beside it is not", async () => {
    // the docs' example
    expect(await problems("platform/registry")).toEqual([]);
    expect(await problems("platform")).toEqual([
      `<root>/environments/example.yaml: tiers.team.sharedObjects[0].vault.path: "platform" is the registry's own secret (secret/data/platform): it is never copied into namespaces`,
    ]);
    // shared objects read another mount (vault.kvMount) than the registry's: kv/data/platform is another secret
    expect(await problems("platform", {}, "kv")).toEqual([]);
  });

  it("per-tenant: the registry's prefix and every record below it are refused, a platform path beside it is not", async () => {
    const perTenant = { layout: "per-tenant", path: "platform/records" } as const;
    expect(await problems("platform/registry", perTenant)).toEqual([]);
    expect(await problems("platform/records-ca", perTenant)).toEqual([]);
    for (const path of ["platform/records", "platform/records/ann"])
      expect(await problems(path, perTenant)).toEqual([
        `<root>/environments/example.yaml: tiers.team.sharedObjects[0].vault.path: ${JSON.stringify(path)} is the registry's own secret (secret/data/${path}): it is never copied into namespaces`,
      ]);
  });
});
