/** parseJson: JSON nobody vouches for (Vault's answers, the single secret's registry string). */
import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, parseJson } from "../../registry/parse";

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

describe("parseJson", () => {
  it("parses JSON, keeping a __proto__ key as data", () => {
    const r = parseJson('{"a": [1, {"b": null}], "__proto__": {"x": 1}}');
    expect(r).toEqual({ ok: true, value: JSON.parse('{"a": [1, {"b": null}], "__proto__": {"x": 1}}') });
    expect(Object.getPrototypeOf((r as { value: object }).value)).toBe(Object.prototype);
  });

  it.each([["{"], ['{"a": 1,}'], ["// c\n{}"], ["{'a': 1}"], [""], ["[1] [2]"]])(
    "calls %j not JSON",
    (text) => {
      expect(parseJson(text)).toEqual({ ok: false, syntax: true });
    },
  );

  it("refuses a key twice in one object, at any depth, also when spelt with an escape", () => {
    expect(parseJson('{"alice": {}, "alice": {}}')).toEqual({
      ok: false,
      syntax: false,
      path: ["alice"],
      message: 'duplicate key "alice"; a key may appear only once in an object',
    });
    expect(parseJson('{"a": [0, {"b": {"c": 1, "\\u0063": 2}}]}')).toMatchObject({
      ok: false,
      path: ["a", 1, "b", "c"],
    });
  });

  it("accepts the same key in different objects", () => {
    expect(parseJson('{"a": {"x": 1}, "b": {"x": 1}, "c": [{"x": 1}, {"x": 2}]}').ok).toBe(true);
  });

  it(`accepts ${MAX_JSON_DEPTH} levels and refuses one more, with the path, without overflowing the stack`, () => {
    expect(parseJson(nested(MAX_JSON_DEPTH)).ok).toBe(true);
    expect(parseJson(nested(MAX_JSON_DEPTH + 1))).toEqual({
      ok: false,
      syntax: false,
      path: Array(MAX_JSON_DEPTH).fill(0),
      message: "is nested more than 64 levels deep; expected plain data",
    });
    expect(parseJson(`{"a": ${nested(1_000_000)}}`)).toMatchObject({ ok: false, syntax: false });
    expect(parseJson('{"a":'.repeat(100_000) + "1" + "}".repeat(100_000))).toMatchObject({
      ok: false,
      path: Array(MAX_JSON_DEPTH).fill("a"),
    });
  });
});
