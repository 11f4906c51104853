/**
 * A tenant id that names a property every JavaScript object inherits (`constructor`, a valid RFC 1123 label) is
 * an id like any other: every layer plans it, its upstream checks find it only where it is, access lists it,
 * and the portal shows it and no other tenant something it inherits.
 */
import { describe, expect, it } from "vitest";
import { accessMatrix } from "../../plan/access";
import { tenantView } from "../../portal/data";
import { buildPlan } from "../../plan/plan";
import { LAYERS } from "../../stacks/layers";
import { registryOf } from "./registries";

describe("tenant ids that objects inherit", () => {
  it("`constructor`: planned in every layer, with its app, CI and member, and in the access matrix", async () => {
    const model = registryOf({
      constructor: {
        email: "c@example.com",
        namespaces: ["constructor"],
        apps: [{ name: "jupyter" }],
        ci: { boundClaims: { repository_owner: "c-org", repository_owner_id: "77" } },
        members: [{ tenant: "alice", role: "viewer" as const }],
      },
      alice: { email: "alice@example.com", namespaces: ["alice"] },
    });
    const plan = await buildPlan(model, LAYERS);
    const apps = plan.stacks.find((s) => s.layer === "apps")!;
    expect(apps.outputs.instances).toEqual({
      constructor: [expect.objectContaining({ app: "jupyter", namespace: "constructor" })],
    });
    expect(plan.stacks.find((s) => s.layer === "vault")!.outputs.tenants).toHaveProperty("constructor");
    const rows = accessMatrix(model, plan);
    expect(rows.some((r) => r.tenant === "constructor" && r.scope === "namespace:constructor")).toBe(true);
    expect(rows.some((r) => r.tenant === "alice" && r.scope === "namespace:constructor")).toBe(true);
    // the portal: alice (no apps) shows no app host of the inherited `constructor` key, and vice versa
    const alice = tenantView(
      model,
      plan,
      rows,
      model.tenants.find((t) => t.id === "alice")!,
    );
    expect(JSON.stringify(alice)).not.toContain("undefined");
    const c = tenantView(
      model,
      plan,
      rows,
      model.tenants.find((t) => t.id === "constructor")!,
    );
    expect(JSON.stringify(c)).toContain("constructor.jupyter.apps.example.com");
  });
});
