/** jsonEqual: plain JSON-like equality, as a property against Node's deep equality over JSON values. */
import fc from "fast-check";
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { jsonEqual } from "../../../components/core/json";

describe("jsonEqual", () => {
  it("agrees with a deep equality on JSON values, and on small edits of them", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        expect(jsonEqual(a, b)).toBe(isDeepStrictEqual(a, b));
        expect(jsonEqual(a, structuredClone(a))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("tells arrays from objects, extra keys, and skips the key it is told to", () => {
    expect(jsonEqual([1], { 0: 1 })).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual({ a: 1, b: 2 }, { a: 1 })).toBe(false);
    expect(jsonEqual({ a: 1, source: "x" }, { a: 1, source: "y" }, "source")).toBe(true);
    expect(jsonEqual({ a: { source: "x" } }, { a: { source: "y" } }, "source")).toBe(false);
  });
});
