/**
 * The portal and organisations (docs/organisations.md): a tenant's page shows its organisation (the chain, its
 * children, who of the organisation views its namespaces); a tenant without parent or children has no such
 * section; each tenant's files still hold its own data only, the organisation's ids and viewed namespaces its
 * own as the records say (test/portal/foreign.ts).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { accessMatrix } from "../../plan/access";
import { buildPlan } from "../../plan/plan";
import type { AccessRow } from "../../policy/access";
import { buildSite, type Site } from "../../portal/site";
import type { RegistryModel } from "../../registry/model";
import { LAYERS } from "../../stacks/layers";
import { exampleEnvironmentData, registryOf } from "../plan/registries";
import { foreignData } from "./foreign";

let model: RegistryModel;
let rows: AccessRow[];
let site: Site;
beforeAll(async () => {
  const env = exampleEnvironmentData();
  env.organisations = { parentView: true };
  model = registryOf(
    {
      acme: { email: "acme@example.com", tier: "team", members: [{ tenant: "lead", role: "viewer" }] },
      lead: { email: "lead@example.com", namespaces: [] },
      "acme-web": { email: "web@example.com", tier: "team", parent: "acme" },
      "acme-api": { email: "api@example.com", tier: "team", parent: "acme-web" },
      other: { email: "other@example.com" },
    },
    env,
  );
  const plan = await buildPlan(model, LAYERS);
  rows = accessMatrix(model, plan);
  site = buildSite(model, plan, rows, {
    environment: "example",
    commit: "0123456789abcdef0123456789abcdef01234567",
    uncommitted: false,
  });
}, 120_000);

const page = (id: string) => site.get(`tenants/${id}/index.html`)!;
const section = (text: string) => {
  const start = text.indexOf('<section class="card" id="organisation">');
  return start < 0
    ? undefined
    : text
        .slice(start, text.indexOf("</section>", start))
        .replace(/<[^>]+>/g, " ")
        .replace(/\s+/g, " ");
};

describe("the portal shows the organisation", () => {
  it("the chain, the children and who views the namespaces", () => {
    expect(section(page("acme-web"))).toBe(
      " Organisation acme › acme-web Children acme-api Viewing your namespaces from your organisation tenant namespaces acme acme-web lead acme-web ",
    );
    expect(section(page("acme"))).toContain("Children acme-web ");
    expect(section(page("acme"))).toContain(
      "Nobody (organisations.parentView is off, or you have no parent)",
    );
    expect(section(page("other"))).toBeUndefined();
  });

  it.each(["acme", "lead", "acme-web", "acme-api", "other"])("%s: no other tenant's data", (id) => {
    const files = [...site].filter(([path]) => path.startsWith(`tenants/${id}/`));
    for (const [path, text] of files) expect(foreignData(text, id, model, rows), path).toEqual([]);
  });

  it("the exceptions are the organisation's: other's page naming acme-web, or acme-api's naming other, is foreign", () => {
    expect(foreignData(`${page("other")} acme-web`, "other", model, rows)).toEqual(["acme-web: acme-web"]);
    expect(foreignData(`${page("acme-api")} namespace:other`, "acme-api", model, rows)).toEqual([
      "other: other",
    ]);
  });
});
