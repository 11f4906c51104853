/**
 * No secret material in state (ARCHITECTURE.md, "Safety"): every stack applied against the fake engine, whose
 * Kubernetes provider reads the shared TLS secret of copy mode from a loopback API server as pulumi-kubernetes
 * reads it (test/helpers/engine.ts `readObject`: the live object stored, only `data` and `stringData` secret)
 * and whose checkpoint applies `additionalSecretOutputs` as the engine's step executor does. The fixture secret was
 * made by `kubectl apply`, so its last-applied-configuration annotation holds the key. The recorded state of every
 * stack (resources' inputs and outputs, what was read, stack outputs; secret values as "[secret]", i.e. encrypted)
 * must hold no key material in the clear.
 */
import { generateKeyPairSync } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runLayers } from "../../deploy/run";
import type { RegistryModel } from "../../registry/model";
import { FakeEngine } from "../helpers/engine";
import { type KubeServer, startKubeServer } from "../helpers/kube-server";
import { exampleEnvironmentData, exampleWithEnvironment } from "../plan/registries";

const NONE = { allowRemovals: false, allowHandover: false };
const SOURCE = { namespace: "ingress-nginx", secretName: "wildcard-tls" };
const b64 = (s: string) => Buffer.from(s).toString("base64");

// a key of this run: nothing else can hold it by chance
const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const KEY = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const CERT = "-----BEGIN CERTIFICATE-----\nMIIBfixturecertificate\n-----END CERTIFICATE-----\n";
const DATA = { "tls.crt": b64(CERT), "tls.key": b64(KEY) };

/** The shared TLS secret as `kubectl apply -f` leaves it: the whole manifest, data included, in an annotation. */
const fixture = () => {
  const manifest = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: SOURCE.secretName, namespace: SOURCE.namespace },
    type: "kubernetes.io/tls",
    data: DATA,
  };
  const applied = { ...manifest, metadata: { ...manifest.metadata, annotations: {} } };
  return {
    ...manifest,
    metadata: {
      ...manifest.metadata,
      annotations: { "kubectl.kubernetes.io/last-applied-configuration": `${JSON.stringify(applied)}\n` },
    },
  };
};

/** Key material in the clear: PEM armour, raw or base64 (at each of its three alignments), the key's body. */
const PATTERNS: [string, RegExp][] = [
  ["PEM armour", /-----BEGIN|PRIVATE KEY/],
  ["base64 PEM armour", /LS0tLS1CRUdJTi|tLS0tQkVHSU4g|0tLS0tQkVHSU4/],
  ["the fixture key (base64)", new RegExp(b64(KEY).slice(0, 40).replace(/[+/]/g, "\\$&"))],
  ["the fixture key's body", new RegExp(KEY.split("\n")[1]!.slice(0, 40).replace(/[+/]/g, "\\$&"))],
];

/** Where key material stands in the clear in `value`, by path. */
function leaks(value: unknown, path = ""): string[] {
  if (typeof value === "string")
    return PATTERNS.filter(([, re]) => re.test(value)).map(([what]) => `${path}: ${what}`);
  if (Array.isArray(value)) return value.flatMap((v, i) => leaks(v, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...PATTERNS.filter(([, re]) => re.test(k)).map(([what]) => `${path}.${k} (key): ${what}`),
    ...leaks(v, `${path}.${k}`),
  ]);
}

let servers: Record<string, KubeServer>;
let model: RegistryModel;
beforeEach(async () => {
  const env = exampleEnvironmentData();
  env.tls = { mode: "copy", copy: SOURCE };
  model = exampleWithEnvironment(env);
  servers = {};
  for (const c of model.environment.clusters) {
    const server = await startKubeServer();
    // the platform's own namespaces: the shared TLS secret's, the CI admin list's
    for (const name of [SOURCE.namespace, "woodpecker"])
      server.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name } }, "kubectl-client-side-apply");
    server.seed(fixture(), "kubectl-client-side-apply");
    servers[c.context] = server;
  }
});
afterEach(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()));
});

describe("no secret material in state", () => {
  it("the leak check finds the fixture's key where it stands in the clear", () => {
    expect(leaks({ a: fixture() }).length).toBeGreaterThanOrEqual(3);
    expect(leaks({ a: { data: "[secret]" } })).toEqual([]);
  });

  it("no stack's recorded state holds key material, though the shared TLS secret was read", async () => {
    const engine = new FakeEngine({ kubernetes: servers });
    await runLayers("up", model, engine, NONE);
    // the shared TLS secret was read, on every cluster a copy is made on, and its data is secret in the state
    const reads = [...engine.stacks.values()].flatMap((s) => s.reads ?? []);
    const tls = reads.filter((r) => r.id === `${SOURCE.namespace}/${SOURCE.secretName}`);
    expect(tls.length).toBeGreaterThan(1);
    for (const r of tls) expect(r.outputs).toMatchObject({ kind: "Secret", data: "[secret]" });

    const found = [...engine.stacks].flatMap(([stack, s]) =>
      leaks({ outputs: s.outputs, resources: s.resources, reads: s.reads ?? [] }, stack),
    );
    expect(found).toEqual([]);
  });
});
