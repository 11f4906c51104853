/**
 * `tenancy operator`: Pulumi Kubernetes Operator Stack objects, valid against the operator's CRD (pulumi.com/v1
 * Stack, test/fixtures/crds) including its CEL rules (the name's 42 characters), one per stack, prerequisites in
 * layer order and dns after platform (a shard after its own upstream shard and its shared stack), every
 * credential each stack's layer needs and no other (checked against the providers its plan uses, per registry
 * source and cluster layout), never destroying on deletion; names over the CRD's limit refused at the
 * environment.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { STACK_NAME_MAX, checkStackNames, operatorStacks } from "../../deploy/operator";
import schema from "../fixtures/crds/pulumi.com_v1_Stack.json";
import { EXAMPLE_TENANTS, runCli } from "../helpers/cli";
import { type Schema, crdProblems } from "../helpers/crd-schema";
import { exampleEnvironmentData, generatedTenants } from "../plan/registries";
import { buildRegistry } from "../../registry/validate";
import { buildPlan } from "../../plan/plan";
import { LAYERS } from "../../stacks/layers";
import { defaultCluster } from "../../components/clusters/placement";
import { InvalidInputError } from "../../components/core/problems";
import { kubeconfigMountDir, kubeconfigSecretName } from "../../layers/in-cluster";
import { DEFAULT_SOURCE_SETTINGS } from "../../registry/settings";
import type { RegistryModel } from "../../registry/model";

const validate = (object: unknown) => crdProblems(object, schema as Schema);
const OPTS = { repo: "https://git.example.com/platform/tenancy.git", organization: "example-org" };

type Ref = { type: string; secret?: { name: string; key: string }; literal?: { value: string } };
type StackObject = {
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    stack: string;
    prerequisites?: { name: string }[];
    envRefs: Record<string, Ref>;
    config: Record<string, string>;
    gitAuth?: Record<string, unknown>;
    workspaceTemplate?: {
      spec: {
        podTemplate: {
          spec: {
            volumes: { name: string; secret: { secretName: string } }[];
            containers: { name: string; volumeMounts: { name: string; mountPath: string }[] }[];
          };
        };
      };
    };
    destroyOnFinalize: boolean;
  };
};

function check(objects: Record<string, unknown>[]): StackObject[] {
  for (const o of objects) expect(validate(o), JSON.stringify(o).slice(0, 80)).toEqual([]);
  return objects as unknown as StackObject[];
}

/** A registry of generated tenants in an environment of the given name and data. */
function registry(n: number, env: unknown = exampleEnvironmentData(), name = "example"): RegistryModel {
  return buildRegistry(
    { name, source: `environments/${name}.yaml`, data: env },
    Object.entries(generatedTenants(n)).map(([id, data]) => ({ id, source: `tenants/${id}.yaml`, data })),
  );
}

const prerequisites = (stacks: StackObject[]) =>
  stacks.map((s) => [s.metadata.name, (s.spec.prerequisites ?? []).map((p) => p.name)]);

describe("operator Stack objects", () => {
  it("unsharded: one per layer, each after its upstream layers and dns after platform, CRD-valid", () => {
    const stacks = check(operatorStacks(registry(3), OPTS));
    expect(prerequisites(stacks)).toEqual([
      ["example-platform", []],
      // every stack's guard reads the platform layer: dns waits for it too
      ["example-dns", ["example-platform"]],
      ["example-vault", ["example-platform"]],
      ["example-ci", ["example-vault"]],
      ["example-apps", ["example-platform"]],
    ]);
    expect(stacks.find((s) => s.metadata.name === "example-vault")!.spec.stack).toBe(
      "example-org/example-vault",
    );
    for (const s of stacks) expect(s.spec.destroyOnFinalize).toBe(false);
  });

  it("sharded: every shard and shared stack; a shard waits for its own upstream shard and its shared stack", () => {
    const env = exampleEnvironmentData();
    env.shards = { count: 2 };
    const stacks = check(operatorStacks(registry(6, env), OPTS));
    expect(stacks).toHaveLength(15);
    const pre = (name: string) =>
      stacks.find((s) => s.metadata.name === name)!.spec.prerequisites?.map((p) => p.name);
    expect(pre("example-vault-1")).toEqual(["example-platform-1", "example-vault"]);
    expect(pre("example-ci")).toEqual(["example-vault", "example-vault-0", "example-vault-1"]);
    expect(pre("example-platform-0")).toEqual(["example-platform"]);
    expect(pre("example-dns")).toEqual(["example-platform", "example-platform-0", "example-platform-1"]);
    expect(pre("example-dns-1")).toEqual(["example-platform-1", "example-dns"]);
    expect(stacks.find((s) => s.metadata.name === "example-dns-1")!.metadata.labels["tenancy.io/shard"]).toBe(
      "1",
    );
  });

  describe("every credential each stack's layer needs, and no other", () => {
    const oneCluster = () => {
      const env = exampleEnvironmentData();
      env.clusters = [env.clusters.find((c: { default?: boolean }) => c.default)];
      return env;
    };
    const layouts = { "three clusters": exampleEnvironmentData, "one cluster": oneCluster };
    for (const [layout, envData] of Object.entries(layouts))
      for (const source of ["yaml", "vault"] as const)
        it(`${layout}, registry from ${source}`, async () => {
          const model = registry(12, envData());
          const stacks = check(
            operatorStacks(model, { ...OPTS, source: { ...DEFAULT_SOURCE_SETTINGS, source } }),
          );
          const plan = await buildPlan(model, LAYERS);
          const home = defaultCluster(model.environment.clusters);
          expect(plan.stacks.map((p) => p.stack)).toEqual(stacks.map((s) => s.metadata.name));
          for (const planned of plan.stacks) {
            const s = stacks.find((x) => x.metadata.name === planned.stack)!;
            const providers = planned.resources.filter((r) => r.type.startsWith("pulumi:providers:"));
            const vault = source === "vault" || providers.some((p) => p.type === "pulumi:providers:vault");
            const cloudflare = providers.some((p) => p.type === "pulumi:providers:cloudflare");
            // every stack takes the environment lease on the default cluster, in-cluster
            const needs = [
              "PULUMI_ACCESS_TOKEN",
              "TENANCY_IN_CLUSTER",
              ...(vault ? ["VAULT_ADDR", "VAULT_TOKEN"] : []),
              ...(cloudflare ? ["CLOUDFLARE_API_TOKEN"] : []),
            ];
            expect(Object.keys(s.spec.envRefs).sort(), s.metadata.name).toEqual(needs.sort());
            expect(s.spec.envRefs.TENANCY_IN_CLUSTER).toEqual({
              type: "Literal",
              literal: { value: "true" },
            });
            for (const k of needs.filter((x) => x !== "TENANCY_IN_CLUSTER"))
              expect(s.spec.envRefs[k]).toEqual({
                type: "Secret",
                secret: { name: "tenancy-credentials", key: k },
              });
            // the registry as tenancy operator read it
            expect(s.spec.config["tenancy:source"]).toBe(source);
            // every other cluster it writes: that cluster's kubeconfig Secret, mounted where its provider reads it
            const others = [
              ...new Set(
                providers
                  .filter((p) => p.type === "pulumi:providers:kubernetes" && p.cluster !== home)
                  .map((p) => p.cluster!),
              ),
            ].sort();
            const pod = s.spec.workspaceTemplate?.spec.podTemplate.spec;
            const mounts = (pod?.volumes ?? [])
              .map((v) => {
                const m = pod!.containers
                  .find((c) => c.name === "pulumi")!
                  .volumeMounts.find((x) => x.name === v.name);
                return [v.secret.secretName, m?.mountPath];
              })
              .sort();
            expect(mounts, s.metadata.name).toEqual(
              others.map((c) => [kubeconfigSecretName(c), kubeconfigMountDir(c)]).sort(),
            );
          }
          if (layout === "three clusters")
            expect(
              stacks.find((s) => s.metadata.name === "example-platform")!.spec.workspaceTemplate,
            ).toBeDefined();
        });
  });

  it("a private repository: gitAuth from the named Secret", () => {
    const kinds = {
      token: { accessToken: { type: "Secret", secret: { name: "git", key: "accessToken" } } },
      basic: {
        basicAuth: {
          userName: { type: "Secret", secret: { name: "git", key: "username" } },
          password: { type: "Secret", secret: { name: "git", key: "password" } },
        },
      },
      ssh: { sshAuth: { sshPrivateKey: { type: "Secret", secret: { name: "git", key: "sshPrivateKey" } } } },
    } as const;
    for (const [kind, expected] of Object.entries(kinds)) {
      const stacks = check(
        operatorStacks(registry(2), {
          ...OPTS,
          gitAuth: { secret: "git", kind: kind as keyof typeof kinds },
        }),
      );
      for (const s of stacks) expect(s.spec.gitAuth).toEqual(expected);
    }
    expect(check(operatorStacks(registry(2), OPTS))[0]!.spec.gitAuth).toBeUndefined();
  });

  it("names within the CRD's 42 characters: the CEL rule is evaluated (a control), and longer ones are refused at the environment", () => {
    const withName = (name: string) => ({
      apiVersion: "pulumi.com/v1",
      kind: "Stack",
      metadata: { name },
      spec: { stack: "o/s" },
    });
    expect(validate(withName("x".repeat(STACK_NAME_MAX)))).toEqual([]);
    expect(validate(withName("x".repeat(STACK_NAME_MAX + 1)))).toEqual([
      "/: Stack name must be no more than 42 characters in length.",
    ]);

    // the longest name is <env>-platform: 33 characters of environment fit, 34 do not
    const fits = registry(2, exampleEnvironmentData(), "e".repeat(33));
    checkStackNames(fits, "environments/fits.yaml");
    check(operatorStacks(fits, OPTS));
    const long = registry(2, exampleEnvironmentData(), "e".repeat(63));
    const objects = operatorStacks(long, OPTS);
    expect(objects.flatMap((o) => validate(o)).length).toBeGreaterThan(0);
    let error: unknown;
    try {
      checkStackNames(long, "environments/long.yaml");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    const problems = (error as InvalidInputError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ source: "environments/long.yaml", path: [] });
    expect(problems[0]!.message).toMatch(
      /longer than the Stack CRD's 42 characters .*at most 33 characters fits/,
    );

    // sharded: the shard suffix counts too
    const env = exampleEnvironmentData();
    env.shards = { count: 12 };
    // 31 + "-platform-11": 43
    const sharded = registry(2, env, "e".repeat(31));
    expect(() => checkStackNames(sharded, "environments/s.yaml")).toThrow(
      /at most 30 characters fits with this shard count/,
    );
    expect(() => checkStackNames(registry(2, exampleEnvironmentData(), "e".repeat(31)), "x")).not.toThrow();
  });

  it("the CLI prints them as YAML documents for kubectl apply; a name over the limit exits 1 naming the environment file", () => {
    const r = runCli(["operator", "--repo", OPTS.repo, "--organization", "example-org"]);
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Record<string, unknown>);
    expect(check(docs).map((d) => d.metadata.name)).toEqual(
      ["platform", "dns", "vault", "ci", "apps"].map((l) => `example-${l}`),
    );

    // the example under a 40-character environment name
    const dir = mkdtempSync(join(tmpdir(), "tenancy-operator-"));
    const name = "a".repeat(40);
    mkdirSync(join(dir, "environments"));
    mkdirSync(join(dir, "tenants"));
    for (const f of readdirSync(EXAMPLE_TENANTS))
      copyFileSync(join(EXAMPLE_TENANTS, f), join(dir, "tenants", f));
    writeFileSync(join(dir, "environments", `${name}.yaml`), stringify(exampleEnvironmentData()));
    const long = runCli(["operator", "--env", name, "--repo", OPTS.repo, "--organization", "o"], {
      cwd: dir,
    });
    expect(long.code, long.stderr).toBe(1);
    expect(long.stdout).toBe("");
    expect(long.stderr).toContain(`environments/${name}.yaml: environment name`);
  });
});
