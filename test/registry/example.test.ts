import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonSchemas, serialise } from "../../registry/json-schema";
import { loadYamlDocuments } from "../../registry/source-yaml";
import { EXAMPLE_TENANTS, ROOT, runCli } from "../helpers/cli";
import { loadExample } from "../plan/registries";

describe("the example registry", () => {
  it("loads and resolves defaults: environment <- tier <- tenant <- namespace", async () => {
    const model = await loadExample();
    expect(model.tenants.map((t) => t.id)).toEqual(["alice", "bob", "carol", "dave"]);
    const bob = model.tenants.find((t) => t.id === "bob")!;
    const prod = bob.namespaces.find((n) => n.name === "bob-prod")!;
    // environment default 20 pods, tier 50, tenant override 40
    expect(prod.quota.pods).toBe("40");
    // tier team sets requests.cpu 4, namespace override on services.loadbalancers
    expect(prod.quota["requests.cpu"]).toBe("4");
    expect(prod.quota["services.loadbalancers"]).toBe("2");
    expect(prod.limits.defaultRequest).toEqual({
      cpu: "200m",
      memory: "128Mi",
      "ephemeral-storage": "100Mi",
    });
    expect(bob.podSecurity.enforce).toBe("restricted");
    expect(bob.members).toEqual([
      { tenant: "alice", role: "developer", manager: false, namespaces: ["bob-staging"] },
      { tenant: "carol", role: "owner", manager: true, namespaces: ["bob-prod", "bob-staging"] },
    ]);
    const carol = model.tenants.find((t) => t.id === "carol")!;
    expect(carol.namespaces.map((n) => n.name)).toEqual(["carol"]);
    expect(carol.domains).toEqual([
      {
        name: "carol.example.org",
        zone: "example.org",
        zoneId: "fedcba9876543210fedcba9876543210",
        namespace: "carol",
      },
    ]);
  });

  it("`tenancy validate` prints a one-line summary and exits 0", () => {
    const r = runCli(["validate"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(
      "valid: 4 tenants, 6 namespaces, 4 domains, 3 members (1 offboarding); environment example, registry tenants",
    );
  });

  it("publishes JSON Schemas that match the zod schemas", () => {
    for (const [file, schema] of Object.entries(jsonSchemas())) {
      expect(
        readFileSync(join(ROOT, "schema", file), "utf8"),
        `schema/${file} is stale: run npm run schema`,
      ).toBe(serialise(schema));
    }
  });

  it("example tenants point editors at the published schema", () => {
    // the fixture is a copy of the example the repository ships in tenants/, beside schema/
    expect(existsSync(join(ROOT, "schema", "tenant.schema.json"))).toBe(true);
    for (const t of ["alice", "bob", "carol", "dave"]) {
      expect(readFileSync(join(EXAMPLE_TENANTS, `${t}.yaml`), "utf8").split("\n")[0]).toBe(
        "# yaml-language-server: $schema=../schema/tenant.schema.json",
      );
    }
  });
});

describe("an empty registry directory", () => {
  it("is refused: far more often a wrong --registry than a platform without tenants", () => {
    const dir = mkdtempSync(join(tmpdir(), "tenancy-empty-"));
    try {
      expect(() => loadYamlDocuments(dir)).toThrow(
        `${dir}: holds no tenant files (*.yaml); is --registry right?`,
      );
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
