/**
 * The outbox's `tenantHook.vault` (docs/hooks.md, "Retries and the outbox") is for people reading the file only:
 * `tenancy events --resend` reads a tenant hook's secret where the environment and the tenant's record put it now,
 * never where the file says. An outbox edited to point alice's entry at bob's secret still signs with alice's.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { tenantEvents, verify } from "../../components/events/policy";
import { outboxPath, readOutbox, writeOutbox } from "../../deploy/events";
import { runCliAsync } from "../helpers/cli";
import { type VaultServer, startVaultServer } from "../helpers/vault-server";
import { exampleEnvironmentData, registryOf } from "../plan/registries";

const TOKEN = "hvs.test-token-outbox-vault";
const ALICE = "alice-hook-secret-0123456789";
const BOB = "bob-hook-secret-9876543210ab";

let vault: VaultServer;
let receiver: Server;
let url: string;
let dir: string;
const got: { body: string; signature: string }[] = [];

beforeAll(async () => {
  vault = await startVaultServer({
    token: TOKEN,
    lifetimeMs: 60_000,
    secrets: {
      "tenants/alice/tenancy-hooks": { secret: ALICE },
      "tenants/bob/tenancy-hooks": { secret: BOB },
    },
  });
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      got.push({ body, signature: String(req.headers["x-tenancy-signature"]) });
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  dir = mkdtempSync(join(tmpdir(), "tenancy-outbox-vault-"));
});
afterAll(async () => {
  await vault.close();
  await new Promise((r) => receiver.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe("--resend and the outbox's tenantHook.vault", () => {
  it("reads the secret at the path the environment gives now, not the one the file names", async () => {
    const env = exampleEnvironmentData();
    env.vault.address = vault.url;
    env.events = {
      attempts: 1,
      timeoutSeconds: 2,
      tenantHooks: { allowHosts: ["127.0.0.1"], allowHttp: true },
    };
    const tenants = {
      alice: { email: "alice@example.com", hooks: [{ url }] },
      bob: { email: "bob@example.com" },
    };
    mkdirSync(join(dir, "environments"));
    mkdirSync(join(dir, "tenants"));
    writeFileSync(join(dir, "environments/example.yaml"), stringify(env));
    for (const [id, t] of Object.entries(tenants))
      writeFileSync(join(dir, `tenants/${id}.yaml`), stringify(t));
    const event = tenantEvents(undefined, registryOf(tenants, env), new Date("2026-12-07T12:00:00Z")).find(
      (e) => e.tenant === "alice",
    )!;
    const outbox = join(dir, outboxPath("example"));
    writeOutbox(outbox, [
      {
        url,
        // an outbox edited (or written by an older environment) to name bob's secret
        tenantHook: {
          tenant: "alice",
          vault: { mount: "secret", path: "tenants/bob/tenancy-hooks", key: "secret" },
        },
        event,
        attempts: 1,
        error: "answered 503",
      },
    ]);
    const r = await runCliAsync(["events", "--resend"], {
      cwd: dir,
      env: { VAULT_TOKEN: TOKEN, TENANCY_EVENTS_BACKOFF_MS: "5" },
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(readOutbox(outbox)).toEqual([]);
    expect(got).toHaveLength(1);
    expect(verify(got[0]!.body, got[0]!.signature, ALICE)).toBe(true);
    expect(verify(got[0]!.body, got[0]!.signature, BOB)).toBe(false);
    expect(vault.requests.map((q) => q.path)).toEqual(["secret/data/tenants/alice/tenancy-hooks"]);
  });
});
