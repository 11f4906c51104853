/**
 * SOPS keys (`vault.sops`): a transit key per tenant namespace, protected as data and deleted only with the
 * record; the tenant's policy encrypts and decrypts with exactly its own keys, which its OIDC login gets
 * through its entity; the access matrix and can-i show the transit paths.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { LAYERS } from "../../../stacks/layers";
import { importId } from "../../../deploy/adopt";
import { accessMatrix } from "../../../plan/access";
import { canI } from "../../../plan/can-i";
import { type Plan, buildPlan } from "../../../plan/plan";
import { parsePolicy } from "../../../components/vault/policy";
import type { RegistryModel } from "../../../registry/model";
import { exampleEnvironmentData, exampleWithEnvironment } from "../../plan/registries";

const KEY = "vault:transit/secretBackendKey:SecretBackendKey";
let model: RegistryModel;
let plan: Plan;
beforeAll(async () => {
  const env = exampleEnvironmentData();
  env.vault.sops = { mount: "transit", keyPrefix: "sops-state-" };
  model = exampleWithEnvironment(env);
  plan = await buildPlan(model, LAYERS);
});
const all = () => plan.stacks.flatMap((s) => s.resources);

describe("SOPS transit keys", () => {
  it("one per tenant namespace in the vault layer, protected unless offboarding", () => {
    const keys = all().filter((r) => r.type === KEY);
    expect(
      keys
        .map((k) => [k.tenant, k.name, k.inputs.backend, k.inputs.name, k.protect, k.inputs.deletionAllowed])
        .sort(),
    ).toEqual(
      [
        ["alice", "alice-sops", "transit", "sops-state-alice", true, false],
        ["alice", "alice-dev-sops", "transit", "sops-state-alice-dev", true, false],
        ["bob", "bob-prod-sops", "transit", "sops-state-bob-prod", true, false],
        ["bob", "bob-staging-sops", "transit", "sops-state-bob-staging", true, false],
        ["carol", "carol-sops", "transit", "sops-state-carol", true, false],
        // dave is offboarding: his key stays (his secrets in git stay decryptable) but may now be deleted
        ["dave", "dave-sops", "transit", "sops-state-dave", false, true],
      ].sort(),
    );
    expect(new Set(keys.map((k) => plan.stacks.find((s) => s.resources.includes(k))!.layer))).toEqual(
      new Set(["vault"]),
    );
    expect(importId(keys.find((k) => k.inputs.name === "sops-state-alice")!)).toBe(
      "transit/keys/sops-state-alice",
    );
  });

  it("each tenant's policy encrypts and decrypts with exactly its own keys", () => {
    const policy = all().find(
      (r) => r.type === "vault:index/policy:Policy" && r.inputs.name === "tenant-alice",
    )!;
    const transit = parsePolicy(String(policy.inputs.policy)).filter((r) => r.path.startsWith("transit/"));
    expect(transit).toEqual([
      { path: "transit/encrypt/sops-state-alice", capabilities: ["update"] },
      { path: "transit/decrypt/sops-state-alice", capabilities: ["update"] },
      { path: "transit/encrypt/sops-state-alice-dev", capabilities: ["update"] },
      { path: "transit/decrypt/sops-state-alice-dev", capabilities: ["update"] },
    ]);
  });

  it("the access matrix and can-i show the transit paths: own allowed, another tenant's denied", () => {
    const rows = accessMatrix(model, plan);
    expect(rows).toContainEqual({
      principal: "user:alice@example.com",
      tenant: "alice",
      system: "vault",
      scope: "path",
      resource: "transit/decrypt/sops-state-alice",
      verbs: ["update"],
      via: "entity alice: policy tenant-alice",
    });
    const ask = (path: string) =>
      canI(rows, { principal: "user:alice@example.com", verb: "update", resource: "", path });
    expect(ask("transit/encrypt/sops-state-alice-dev").allowed).toBe(true);
    expect(ask("transit/decrypt/sops-state-bob-prod").allowed).toBe(false);
    // bob invited alice into bob-staging, which is not a key of hers
    expect(ask("transit/decrypt/sops-state-bob-staging").allowed).toBe(false);
  });

  it("refuses a key prefix that could leave its path segment", () => {
    const env = exampleEnvironmentData();
    env.vault.sops = { keyPrefix: "../x/" };
    expect(() => exampleWithEnvironment(env)).toThrow(
      /vault\.sops\.keyPrefix: "\.\.\/x\/" is not a key name prefix/,
    );
  });
});
