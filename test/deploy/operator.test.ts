/**
 * `tenancy operator`: Pulumi Kubernetes Operator Stack objects, valid against the operator's CRD schema
 * (pulumi.com/v1 Stack, test/fixtures/crds), one per stack, prerequisites in layer order (a shard after its
 * own upstream shard and its shared stack), credentials only where a layer needs them, never destroying on
 * deletion.
 */
import Ajv from "ajv";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { operatorStacks } from "../../deploy/operator";
import schema from "../fixtures/crds/pulumi.com_v1_Stack.json";
import { runCli } from "../helpers/cli";
import { exampleEnvironmentData, generatedTenants, registryOf } from "../plan/registries";

const ajv = new Ajv({ strict: false, allErrors: true });
const { $comment: _source, ...crd } = schema as Record<string, unknown>;
const validate = ajv.compile(crd);
const OPTS = { repo: "https://git.example.com/platform/tenancy.git", organization: "example-org" };

type StackObject = {
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    stack: string;
    prerequisites?: { name: string }[];
    envRefs: Record<string, unknown>;
    destroyOnFinalize: boolean;
  };
};

function check(objects: Record<string, unknown>[]): StackObject[] {
  for (const o of objects)
    expect(validate(o) ? [] : validate.errors, JSON.stringify(o).slice(0, 80)).toEqual([]);
  return objects as unknown as StackObject[];
}

describe("operator Stack objects", () => {
  it("unsharded: one per layer, each after its upstream layers, schema-valid", () => {
    const stacks = check(operatorStacks(registryOf(generatedTenants(3)), OPTS));
    expect(stacks.map((s) => [s.metadata.name, (s.spec.prerequisites ?? []).map((p) => p.name)])).toEqual([
      ["example-platform", []],
      ["example-dns", []],
      ["example-vault", ["example-platform"]],
      ["example-ci", ["example-vault"]],
      ["example-apps", ["example-platform"]],
    ]);
    const vault = stacks.find((s) => s.metadata.name === "example-vault")!;
    expect(vault.spec.stack).toBe("example-org/example-vault");
    expect(Object.keys(vault.spec.envRefs).sort()).toEqual(["PULUMI_ACCESS_TOKEN", "VAULT_TOKEN"]);
    expect(Object.keys(stacks.find((s) => s.metadata.name === "example-platform")!.spec.envRefs)).toEqual([
      "PULUMI_ACCESS_TOKEN",
    ]);
    for (const s of stacks) expect(s.spec.destroyOnFinalize).toBe(false);
  });

  it("sharded: every shard and shared stack; a shard waits for its own upstream shard and its shared stack", () => {
    const env = exampleEnvironmentData();
    env.shards = { count: 2 };
    const stacks = check(operatorStacks(registryOf(generatedTenants(6), env), OPTS));
    expect(stacks).toHaveLength(15);
    const pre = (name: string) =>
      stacks.find((s) => s.metadata.name === name)!.spec.prerequisites?.map((p) => p.name);
    expect(pre("example-vault-1")).toEqual(["example-platform-1", "example-vault"]);
    expect(pre("example-ci")).toEqual(["example-vault", "example-vault-0", "example-vault-1"]);
    expect(pre("example-platform-0")).toEqual(["example-platform"]);
    expect(stacks.find((s) => s.metadata.name === "example-dns-1")!.metadata.labels["tenancy.io/shard"]).toBe(
      "1",
    );
  });

  it("the schema refuses what the operator would (a control): no stack, a prerequisite without a name", () => {
    expect(validate({ apiVersion: "pulumi.com/v1", kind: "Stack", metadata: { name: "x" }, spec: {} })).toBe(
      false,
    );
    expect(
      validate({
        apiVersion: "pulumi.com/v1",
        kind: "Stack",
        metadata: { name: "x" },
        spec: { stack: "o/s", prerequisites: [{}] },
      }),
    ).toBe(false);
  });

  it("the CLI prints them as YAML documents for kubectl apply", () => {
    const r = runCli(["operator", "--repo", OPTS.repo, "--organization", "example-org"]);
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Record<string, unknown>);
    expect(check(docs).map((d) => d.metadata.name)).toEqual(
      ["platform", "dns", "vault", "ci", "apps"].map((l) => `example-${l}`),
    );
  });
});
