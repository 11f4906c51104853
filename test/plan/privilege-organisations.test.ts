/**
 * Organisations and privilege raises (docs/organisations.md, policy/approval.ts): a child's raise is never
 * approved by the child's own reviewers; its ancestors' own reviewers (as the base names them) may approve it,
 * since validation bounds the child by its parent; nobody's approval counts for a raise of their own tenant.
 */
import { describe, expect, it } from "vitest";
import { adminApproval } from "../../policy/approval";
import { privilegeDelta } from "../../plan/privilege";
import type { TenantFileInput } from "../../registry/schema";
import { registryOf } from "./registries";

const HEAD = "0123456789abcdef0123456789abcdef01234567";
const approve = (...logins: string[]) => logins.map((login) => ({ login, state: "APPROVED", commit: HEAD }));

const ACME: TenantFileInput = {
  email: "acme@example.com",
  tier: "team",
  git: ["@acme-owner", "@acme-org/leads"],
  clusterSelector: { matchLabels: { region: "eu-west" } },
  members: [{ tenant: "lead", role: "manager" }],
};
const LEAD: TenantFileInput = { email: "lead@example.com", git: ["@lead-gh"], namespaces: [] };
const WEB: TenantFileInput = {
  email: "web@example.com",
  parent: "acme",
  tier: "team",
  git: ["@web-gh"],
  members: [{ tenant: "lead", role: "manager" }],
};
const OUTSIDER: TenantFileInput = { email: "out@example.com", git: ["@outsider"] };
const base = registryOf({ acme: ACME, lead: LEAD, web: WEB, out: OUTSIDER });
/** web placed on the gpu cluster too: a raise (placement) within acme's clusters */
const head = registryOf({
  acme: ACME,
  lead: LEAD,
  web: { ...WEB, clusterSelector: { matchLabels: { region: "eu-west" } } },
  out: OUTSIDER,
});

describe("approving a child's raise", () => {
  const raised = () => [...new Set(privilegeDelta(base, head).map((r) => r.tenant))];

  it("the change is a raise of web's", () => {
    expect(new Set(privilegeDelta(base, head).map((r) => `${r.tenant} ${r.kind}`))).toEqual(
      new Set(["web placement"]),
    );
  });

  it("its parent's own account approves it; the child's own reviewers never do", () => {
    const byParent = adminApproval([base, head], raised(), approve("acme-owner"), ["@admins"]);
    expect(byParent).toMatchObject({ approved: true, by: { web: ["acme-owner"] } });
    // web's own account: no
    expect(adminApproval([base, head], raised(), approve("web-gh"), ["@admins"]).approved).toBe(false);
    // lead manages acme and web: one of web's own reviewers, so its approval does not count for web
    expect(adminApproval([base, head], raised(), approve("lead-gh"), ["@admins"]).approved).toBe(false);
    // someone else: no; an admin still can
    expect(adminApproval([base, head], raised(), approve("outsider"), ["@admins"]).approved).toBe(false);
    expect(adminApproval([base, head], raised(), approve("admins"), ["@admins"]).approved).toBe(true);
  });

  it("a parent's team approves nothing (its members are not resolved), and a parent named only in the head gives no approver", () => {
    expect(adminApproval([base, head], raised(), approve("acme-org"), ["@admins"]).approved).toBe(false);
    // out made a child of acme in the pull request itself: acme's reviewers as the base names them count
    const moved = registryOf({ acme: ACME, lead: LEAD, web: WEB, out: { ...OUTSIDER, parent: "acme" } });
    expect(adminApproval([base, moved], ["out"], approve("acme-owner"), ["@admins"]).approved).toBe(true);
    // a new parent, made in the same pull request: its reviewers are nobody's yet
    const fresh = registryOf({
      acme: ACME,
      lead: LEAD,
      web: WEB,
      out: OUTSIDER,
      neworg: { email: "n@example.com", git: ["@new-owner"] },
      kid: { email: "k@example.com", parent: "neworg" },
    });
    expect(adminApproval([base, fresh], ["kid"], approve("new-owner"), ["@admins"]).approved).toBe(false);
  });

  it("a parent's reviewers do not approve a raise of the parent itself", () => {
    const raisedParent = registryOf({
      acme: { ...ACME, role: "power-user" },
      lead: LEAD,
      web: WEB,
      out: OUTSIDER,
    });
    const tenants = [...new Set(privilegeDelta(base, raisedParent).map((r) => r.tenant))];
    expect(tenants).toEqual(["acme"]);
    expect(adminApproval([base, raisedParent], tenants, approve("acme-owner"), ["@admins"]).approved).toBe(
      false,
    );
  });
});

describe("attaching a tenant to an organisation (a new or changed parent)", () => {
  // x's own team: its account and its manager's; acme is an organisation x does not belong to in the base
  const X: TenantFileInput = {
    email: "x@example.com",
    tier: "team",
    git: ["@x-gh"],
    clusterSelector: { matchLabels: { region: "eu-west" } },
  };
  const before = registryOf({ acme: ACME, lead: LEAD, web: WEB, out: OUTSIDER, x: X });
  const attached = registryOf({
    acme: ACME,
    lead: LEAD,
    web: WEB,
    out: OUTSIDER,
    x: { ...X, parent: "acme" },
  });
  const raised = (b = before, h = attached) => [...new Set(privilegeDelta(b, h).map((r) => r.tenant))];

  it("is a raise of kind organisation naming the parent", () => {
    expect(privilegeDelta(before, attached)).toEqual([
      {
        principal: "x",
        tenant: "x",
        kind: "organisation",
        what: "parent (none) -> acme: joins organisation acme",
      },
    ]);
    // a new record naming a parent is one too
    const withoutX = registryOf({ acme: ACME, lead: LEAD, web: WEB, out: OUTSIDER });
    expect(privilegeDelta(withoutX, attached).filter((r) => r.kind === "organisation")).toEqual([
      {
        principal: "x",
        tenant: "x",
        kind: "organisation",
        what: "parent (none) -> acme: joins organisation acme",
      },
    ]);
    // removing the parent, or keeping it, is none
    expect(privilegeDelta(attached, before).filter((r) => r.kind === "organisation")).toEqual([]);
    expect(privilegeDelta(attached, attached)).toEqual([]);
  });

  it("x's own team cannot approve it; acme's reviewer or an admin can", () => {
    expect(adminApproval([before, attached], raised(), approve("x-gh"), ["@admins"]).approved).toBe(false);
    expect(adminApproval([before, attached], raised(), approve("outsider"), ["@admins"]).approved).toBe(
      false,
    );
    expect(adminApproval([before, attached], raised(), approve("acme-owner"), ["@admins"])).toMatchObject({
      approved: true,
      by: { x: ["acme-owner"] },
    });
    expect(adminApproval([before, attached], raised(), approve("admins"), ["@admins"]).approved).toBe(true);
  });

  it("moving a child to another organisation needs the new parent's reviewers, not the old one's", () => {
    const E: TenantFileInput = { ...X, email: "e@example.com", git: ["@e-owner"] };
    const b = registryOf({ acme: ACME, lead: LEAD, web: { ...WEB, members: [] }, out: OUTSIDER, e: E });
    const moved = registryOf({
      acme: ACME,
      lead: LEAD,
      web: { ...WEB, parent: "e", members: [] },
      out: OUTSIDER,
      e: E,
    });
    expect(privilegeDelta(b, moved).filter((r) => r.kind === "organisation")).toEqual([
      {
        principal: "web",
        tenant: "web",
        kind: "organisation",
        what: "parent acme -> e: joins organisation e",
      },
    ]);
    expect(adminApproval([b, moved], raised(b, moved), approve("acme-owner"), ["@admins"]).approved).toBe(
      false,
    );
    expect(adminApproval([b, moved], raised(b, moved), approve("e-owner"), ["@admins"]).approved).toBe(true);
  });

  it("a parent made in the same pull request has no reviewers: only an admin approves", () => {
    const fresh = registryOf({
      acme: ACME,
      lead: LEAD,
      web: WEB,
      out: OUTSIDER,
      neworg: {
        email: "n@example.com",
        tier: "team",
        git: ["@new-owner"],
        clusterSelector: { matchLabels: { region: "eu-west" } },
      },
      x: { ...X, parent: "neworg" },
    });
    expect(
      adminApproval([before, fresh], raised(before, fresh), approve("new-owner", "x-gh"), ["@admins"])
        .approved,
    ).toBe(false);
    expect(
      adminApproval([before, fresh], raised(before, fresh), approve("admins"), ["@admins"]).approved,
    ).toBe(true);
  });
});

describe("a child whose own reviewers include a team", () => {
  // web's own reviewers are a team: acme-owner may be one of its members, and nobody here can tell
  const teamWeb = { ...WEB, git: ["@web-org/devs"] };
  const b = registryOf({ acme: ACME, lead: LEAD, web: teamWeb, out: OUTSIDER });
  const h = registryOf({
    acme: ACME,
    lead: LEAD,
    web: { ...teamWeb, clusterSelector: { matchLabels: { region: "eu-west" } } },
    out: OUTSIDER,
  });
  const raised = [...new Set(privilegeDelta(b, h).map((r) => r.tenant))];

  it("no organisation approval counts (fails closed); an admin's still does", () => {
    expect(raised).toEqual(["web"]);
    expect(adminApproval([b, h], raised, approve("acme-owner"), ["@admins"])).toMatchObject({
      approved: false,
      by: { web: [] },
    });
    expect(adminApproval([b, h], raised, approve("admins"), ["@admins"]).approved).toBe(true);
    // a team on the head side only counts too
    expect(
      adminApproval(
        [registryOf({ acme: ACME, lead: LEAD, web: WEB, out: OUTSIDER }), h],
        raised,
        approve("acme-owner"),
        ["@admins"],
      ).approved,
    ).toBe(false);
  });
});
