/** The safety guard, tenants and namespaces, on plain data. The orchestrator's runs: ./layers.test.ts. */
import { describe, expect, it } from "vitest";
import { appliedState, checkNamespaces, checkRemovals } from "../../deploy/guard";
import { SafetyError } from "../../components/core/problems";

const applied = (ids: string[], offboarding: string[] = []) =>
  ids.map((id) => ({ id, offboarding: offboarding.includes(id) }));

describe("the removal guard", () => {
  it("lets a first run and additions through", () => {
    expect(() => checkRemovals(undefined, ["a"], { allowRemovals: false })).not.toThrow();
    expect(() => checkRemovals(applied(["a"]), ["a", "b"], { allowRemovals: false })).not.toThrow();
  });

  it("refuses an empty registry when tenants are applied", () => {
    expect(() => checkRemovals(applied(["a", "b"]), [], { allowRemovals: false })).toThrow(
      new SafetyError(
        "the registry is empty but 2 tenants are applied; refusing to remove them all (is the source right?); re-run with --allow-removals if this is intended",
      ),
    );
  });

  it("refuses removing a tenant that was not offboarded first", () => {
    expect(() => checkRemovals(applied(["a", "b", "c"]), ["a"], { allowRemovals: false })).toThrow(
      /^tenants removed without offboarding first: b, c\. Removal is two-phase/,
    );
  });

  it("accepts removing offboarded tenants up to the threshold, refuses beyond it", () => {
    const ids = ["a", "b", "c", "d", "e"];
    expect(() =>
      checkRemovals(applied(ids, ["b", "c"]), ["a", "d", "e"], { allowRemovals: false }),
    ).not.toThrow();
    expect(() =>
      checkRemovals(applied(ids, ["b", "c", "d", "e"]), ["a"], { allowRemovals: false, maxRemovals: 3 }),
    ).toThrow(/^4 tenants would be removed \(b, c, d, e\), more than the 3 allowed at once/);
  });

  it("--allow-removals overrides every refusal", () => {
    expect(() => checkRemovals(applied(["a", "b"]), [], { allowRemovals: true })).not.toThrow();
  });
});

describe("the namespace guard", () => {
  const applied = {
    a: { tenant: "alice", offboarding: false },
    "a-dev": { tenant: "alice", offboarding: false },
    old: { tenant: "dave", offboarding: true },
  };
  const none = { allowRemovals: false, allowHandover: false };

  it("lets unchanged namespaces, new ones and offboarded ones going away through", () => {
    expect(() =>
      checkNamespaces(
        applied,
        new Map([
          ["a", "alice"],
          ["a-dev", "alice"],
          ["new", "bob"],
        ]),
        none,
      ),
    ).not.toThrow();
  });

  it("refuses a namespace removed without offboarding first, unless --allow-removals", () => {
    const next = new Map([["a", "alice"]]);
    expect(() => checkNamespaces(applied, next, none)).toThrow(
      new SafetyError(
        "namespaces removed without offboarding first: a-dev (tenant alice). Removal is two-phase: set offboarding: true on the namespace (or its tenant) and apply, then remove it; re-run with --allow-removals if this is intended",
      ),
    );
    expect(() => checkNamespaces(applied, next, { ...none, allowRemovals: true })).not.toThrow();
  });

  it("refuses a namespace whose owner changes, even an offboarded one's, unless --allow-handover", () => {
    const next = new Map([
      ["a", "alice"],
      ["a-dev", "alice"],
      ["old", "mallory"],
    ]);
    expect(() => checkNamespaces(applied, next, none)).toThrow(
      /^namespaces would pass to another tenant, with their data \(volumes, secrets\): old \(dave -> mallory\); re-run with --allow-handover/,
    );
    // --allow-removals is not a handover permission
    expect(() => checkNamespaces(applied, next, { ...none, allowRemovals: true })).toThrow(SafetyError);
    expect(() => checkNamespaces(applied, next, { ...none, allowHandover: true })).not.toThrow();
  });

  it("reads the applied state from the platform outputs, old stacks (no namespaces output) included", () => {
    expect(appliedState(undefined)).toBeUndefined();
    expect(appliedState({})).toBeUndefined();
    expect(appliedState({ tenants: { alice: { namespaces: ["a", "a-dev"], offboarding: false } } })).toEqual({
      tenants: [{ id: "alice", offboarding: false }],
      namespaces: {
        a: { tenant: "alice", offboarding: false },
        "a-dev": { tenant: "alice", offboarding: false },
      },
    });
  });
});
