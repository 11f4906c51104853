/**
 * Organisations (issue 28, docs/organisations.md): a record's `parent`, the chain of ancestors, and the bounds
 * a parent puts on its children, each refused with the file and field.
 */
import { describe, expect, it } from "vitest";
import { ancestors } from "../../registry/model";

describe("ancestors", () => {
  const tenants = [
    { id: "acme" },
    { id: "acme-web", parent: "acme" },
    { id: "acme-web-dev", parent: "acme-web" },
    { id: "orphan", parent: "gone" },
    { id: "loop-a", parent: "loop-b" },
    { id: "loop-b", parent: "loop-a" },
  ];
  const ids = (chain: { id: string }[]) => chain.map((t) => t.id);

  it("walks parent first up to the root", () => {
    expect(ids(ancestors(tenants, "acme-web-dev"))).toEqual(["acme-web", "acme"]);
    expect(ids(ancestors({ tenants }, { id: "new", parent: "acme-web" }))).toEqual(["acme-web", "acme"]);
    expect(ancestors(tenants, "acme")).toEqual([]);
  });

  it("stops at a parent that does not exist and before a tenant repeats", () => {
    expect(ancestors(tenants, "orphan")).toEqual([]);
    expect(ids(ancestors(tenants, "loop-a"))).toEqual(["loop-b"]);
    expect(ids(ancestors(tenants, { id: "self", parent: "self" }))).toEqual([]);
  });
});
