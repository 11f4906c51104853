import { LAYERS } from "../../stacks/layers";
import { describe, expect, it } from "vitest";
import { formatAccessTable } from "../../cli/access";
import { reachesTenant } from "../../policy/access";
import { accessMatrix } from "../../plan/access";
import { buildPlan } from "../../plan/plan";
import { exampleWithSharedCi } from "../plan/registries";

describe("tenancy access --tenant", () => {
  it("shows the tenant's principals and everyone who reaches it: members, admins, the shared CI identity", async () => {
    // the example tenants, with the shared CI identity of existing installations
    const model = exampleWithSharedCi();
    const bob = model.tenants.find((t) => t.id === "bob")!;
    const rows = accessMatrix(model, await buildPlan(model, LAYERS)).filter((r) => reachesTenant(r, bob));
    const who = (pred: (r: (typeof rows)[0]) => boolean) =>
      [...new Set(rows.filter(pred).map((r) => r.principal))].sort();
    expect(who(() => true)).toEqual([
      "user:alice@example.com", // member of bob-staging
      "user:bob@example.com",
      "user:carol@example.com", // member, and cluster-admin
      "vault-jwt:jwt/ci-bob",
      "vault-k8s-auth:kubernetes/woodpecker-deployer", // shared CI: bob's deployer credentials
    ]);
    expect(who((r) => r.scope === "cluster")).toEqual(["user:bob@example.com", "user:carol@example.com"]);
    expect(
      rows
        .filter((r) => r.principal.startsWith("vault-k8s-auth:") && r.system === "vault")
        .map((r) => r.resource),
    ).toEqual(["kubernetes/creds/bob-prod-deployer", "kubernetes/creds/bob-staging-deployer"]);
    // alice's own Vault paths and namespaces are not bob's business
    expect(rows.some((r) => r.resource.includes("tenants/alice") || r.scope === "namespace:alice")).toBe(
      false,
    );
    // the table has no trailing padding
    expect(
      formatAccessTable(rows)
        .split("\n")
        .every((l) => l === l.trimEnd()),
    ).toBe(true);
  });
});
