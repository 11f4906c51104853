/**
 * TLS per namespace: a cert-manager Certificate for the hostnames a namespace serves (and a configured
 * namespace wildcard), or a copy of the environment's shared TLS secret whose key material stays secret:
 * in the state (a secret Output) and out of `plan`'s output.
 */
import { describe, expect, it } from "vitest";
import { secret as secretValue } from "../../../components/core/spec";
import { tenantNamespace } from "../../../components/namespace/specs";
import { runSpecs, testProvider } from "../../helpers/specs";
import { buildPlan, type PlannedResource } from "../../../plan/plan";
import type { RegistryModel } from "../../../registry/model";
import { LAYERS } from "../../../stacks/layers";
import { validateK8sObject } from "../../helpers/k8s-schema";
import {
  exampleEnvironmentData,
  exampleWithEnvironment,
  loadExample,
  onDefaultCluster,
  registryOf,
} from "../../plan/registries";

const CERT = "kubernetes:cert-manager.io/v1:Certificate";

/** The platform layer on the default cluster (bob-prod's certificate on us-east is the same). */
async function platform(model: RegistryModel): Promise<PlannedResource[]> {
  return onDefaultCluster(
    model,
    (await buildPlan(model, LAYERS, { layers: ["platform"] })).stacks[0]!.resources,
  );
}

describe("cert-manager mode (the example)", () => {
  it("a Certificate per namespace serving a domain, from the environment's issuer, valid against its CRD", async () => {
    const certs = (await platform(await loadExample())).filter((r) => r.type === CERT);
    expect(
      certs.map((c) => [
        (c.inputs.metadata as { namespace: string }).namespace,
        (c.inputs.spec as { dnsNames: string[] }).dnsNames,
      ]),
    ).toEqual([
      ["alice", ["alice.example.com"]],
      ["bob-prod", ["bob.example.com", "shop.example.org"]],
      ["carol", ["carol.example.org"]],
    ]);
    for (const c of certs) {
      expect(c.inputs.spec).toMatchObject({
        secretName: "tenant-tls",
        issuerRef: { name: "letsencrypt-prod", kind: "ClusterIssuer", group: "cert-manager.io" },
      });
      validateK8sObject(c.inputs);
    }
  });

  it("a domain served from another of the tenant's namespaces, and the namespace wildcard", async () => {
    const env = exampleEnvironmentData();
    env.tls.namespaceWildcard = "apps.example.com";
    const model = registryOf(
      {
        alice: {
          email: "alice@example.com",
          namespaces: ["alice", "alice-web"],
          domains: [{ name: "www.alice.example.com", namespace: "alice-web" }],
        },
      },
      env,
    );
    const certs = (await platform(model)).filter((r) => r.type === CERT);
    expect(certs.map((c) => (c.inputs.spec as { dnsNames: string[] }).dnsNames)).toEqual([
      ["*.alice.apps.example.com"],
      ["www.alice.example.com", "*.alice-web.apps.example.com"],
    ]);
    for (const c of certs) validateK8sObject(c.inputs);
  });

  it("an offboarding namespace keeps no certificate", async () => {
    const certs = (await platform(await loadExample())).filter((r) => r.type === CERT);
    expect(certs.some((c) => c.tenant === "dave")).toBe(false);
  });
});

describe("copy mode", () => {
  it("copies the shared secret into each namespace that needs it; its data is secret and never in the plan", async () => {
    const KEY_MATERIAL = "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCnNlY3JldA==";
    const run = await runSpecs("test-tls", (specs) => {
      const data = { "tls.crt": "Y2VydA==", "tls.key": KEY_MATERIAL };
      tenantNamespace(
        specs,
        "acme-web",
        {
          tenant: "acme",
          namespace: "acme-web",
          podSecurity: { enforce: "restricted", audit: "restricted", warn: "restricted", version: "latest" },
          quota: {},
          limits: {},
          network: {
            dns: { namespace: "kube-system", podLabels: {} },
            ingressController: { namespace: "ingress" },
          },
          tls: { kind: "copy" },
          tlsCopyData: secretValue(data),
        },
        testProvider(specs),
      );
    });
    const secret = run.resources.find((r) => r.type === "kubernetes:core/v1:Secret")!;
    expect(secret.name).toBe("acme-web-tls");
    expect(secret.inputs).toMatchObject({
      type: "kubernetes.io/tls",
      metadata: { name: "tenant-tls", namespace: "acme-web" },
      data: "[secret]",
    });
    expect(JSON.stringify(run.resources)).not.toContain(KEY_MATERIAL);
    validateK8sObject({ ...secret.inputs, data: { "tls.crt": "", "tls.key": "" } });
  });

  it("in a plan: one copy per namespace serving a domain or running an app, none elsewhere", async () => {
    const env = exampleEnvironmentData();
    env.tls = { mode: "copy", copy: { namespace: "cert-manager", secretName: "wildcard-tls" } };
    const model = exampleWithEnvironment(env);
    const secrets = (await platform(model)).filter((r) => r.type === "kubernetes:core/v1:Secret");
    expect(secrets.map((s) => (s.inputs.metadata as { namespace: string }).namespace)).toEqual([
      "alice",
      "bob-prod",
      "carol",
    ]);
    for (const s of secrets) expect(s.inputs.data).toBe("[secret]");
    expect((await platform(model)).some((r) => r.type === CERT)).toBe(false);
  });
});
