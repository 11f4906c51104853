/**
 * Shared objects through real runs (docs/shared-objects.md), on the fake engine against loopback API servers and
 * a world whose Vault KV holds the pull secret (test/helpers/engine.ts kvReads, as the Vault provider's read
 * answers): a tier's pull secret is made in every active namespace of its tenants on every cluster the namespace
 * is on, with the value Vault holds at the up; a value changed in Vault is written by the next up; the value is
 * never in any stack's recorded state in the clear; removing the declaration deletes every copy and nothing else;
 * a KV read that fails fails the vault stack's update with nothing of the copies deleted.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runLayers } from "../../deploy/run";
import { FakeEngine } from "../helpers/engine";
import { type KubeServer, startKubeServer } from "../helpers/kube-server";
import { exampleEnvironmentData } from "../plan/registries";
import { MARKER, PULL_PATH, PULL_SECRET_VALUE, environment, registry } from "../components/shared/fixtures";

// the layers shared objects need: the namespaces (platform) and the copies (vault)
const NONE = { allowRemovals: false, allowHandover: false, layers: ["platform" as const, "vault" as const] };
const AT = `secret/${PULL_PATH}`;

let servers: Record<string, KubeServer>;
beforeEach(async () => {
  servers = {};
  for (const c of exampleEnvironmentData().clusters as { context: string }[])
    servers[c.context] = await startKubeServer({});
});
afterEach(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()));
});

/** Every copy of the pull secret, as `<context>/<namespace>` -> its decoded .dockerconfigjson. */
function copies(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [context, server] of Object.entries(servers))
    for (const s of server.list("v1", "Secret"))
      if (s.metadata.name === "regcred") {
        const data = (s as { data?: Record<string, string> }).data ?? {};
        out[`${context}/${s.metadata.namespace}`] = Buffer.from(
          data[".dockerconfigjson"] ?? "",
          "base64",
        ).toString("utf8");
      }
  return out;
}

const namespaces = () =>
  Object.fromEntries(
    Object.entries(servers).map(([c, s]) => [
      c,
      s
        .list("v1", "Namespace")
        .map((n) => n.metadata.name)
        .sort(),
    ]),
  );

const WHERE = [
  // ann: eu-west clusters (main, eu-gpu); ben: main, and ben-us on us-east; cy (tier standard): none
  "example-admin/ann-api",
  "example-admin/ann-web",
  "example-admin/ben",
  "example-gpu-admin/ann-api",
  "example-gpu-admin/ann-web",
  "example-us-admin/ben-us",
];

describe("shared objects applied", () => {
  it("made in every namespace of the tier, rewritten when Vault's value changes, deleted with their declaration", async () => {
    const kv = { [AT]: { dockerconfigjson: PULL_SECRET_VALUE } };
    const engine = new FakeEngine({ kubernetes: servers, kv });
    await runLayers("up", registry(), engine, NONE);
    const made = copies();
    expect(Object.keys(made).sort()).toEqual(WHERE);
    for (const value of Object.values(made)) expect(value).toBe(PULL_SECRET_VALUE);
    // never in the clear in what the engine keeps
    expect(JSON.stringify([...engine.stacks.values()])).not.toContain(MARKER);

    // the value rotated in Vault: the next up writes it everywhere
    const rotated = PULL_SECRET_VALUE.replace(MARKER, `${MARKER}-rotated`);
    kv[AT] = { dockerconfigjson: rotated };
    await runLayers("up", registry(), engine, NONE);
    expect(Object.values(copies())).toEqual(WHERE.map(() => rotated));
    expect(JSON.stringify([...engine.stacks.values()])).not.toContain(MARKER);

    // the declaration removed: every copy deleted, the namespaces (and all else) kept
    const before = namespaces();
    await runLayers("up", registry(environment()), engine, NONE);
    expect(copies()).toEqual({});
    expect(namespaces()).toEqual(before);
    expect(before["example-admin"]).toEqual(expect.arrayContaining(["ann-api", "ann-web", "ben", "cy"]));
  }, 120_000);

  it("a tenant's own Secret under the copy's name: the preflight refuses the run before any change", async () => {
    const kv = { [AT]: { dockerconfigjson: PULL_SECRET_VALUE } };
    const engine = new FakeEngine({ kubernetes: servers, kv });
    await runLayers("up", registry(environment()), engine, NONE);
    // ann made her own pull secret by hand, before the tier declared one
    const own = { ".dockerconfigjson": Buffer.from('{"auths":{}}').toString("base64") };
    servers["example-admin"]!.seed(
      { apiVersion: "v1", kind: "Secret", metadata: { name: "regcred", namespace: "ann-web" }, data: own },
      "kubectl-create",
    );
    const contexts = Object.fromEntries(
      (exampleEnvironmentData().clusters as { name: string; context: string }[]).map((c) => [
        c.name,
        c.context,
      ]),
    );
    const error = await runLayers("up", registry(), engine, {
      ...NONE,
      preflight: { kubernetes: (cluster) => servers[contexts[cluster]!]!.kubeConfig() },
    }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /^nothing was changed: the preflight found .*\nexample-vault: Secret ann-web\/regcred: exists and is not tenancy's .*managed by kubectl-create\): remove it, or take it over with tenancy adopt/s,
    );
    // nothing was made, and ann's own Secret is as she wrote it
    expect(Object.keys(copies())).toEqual(["example-admin/ann-web"]);
    expect(
      (servers["example-admin"]!.get("v1", "Secret", "regcred", "ann-web") as { data?: unknown }).data,
    ).toEqual(own);
  }, 120_000);

  it("a KV read that fails fails the vault stack's update; the copies made before stay", async () => {
    const kv: Record<string, Record<string, string>> = { [AT]: { dockerconfigjson: PULL_SECRET_VALUE } };
    const engine = new FakeEngine({ kubernetes: servers, kv });
    await runLayers("up", registry(), engine, NONE);
    delete kv[AT];
    await expect(runLayers("up", registry(), engine, NONE)).rejects.toThrow(/example-vault/);
    expect(Object.keys(copies()).sort()).toEqual(WHERE);
  }, 120_000);
});
