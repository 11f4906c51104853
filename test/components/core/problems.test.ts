/**
 * How problems and failures are shown: control characters escaped for the terminal, every message, list
 * and excerpt bounded.
 */
import { describe, expect, it } from "vitest";
import {
  InvalidInputError,
  cut,
  escapeControl,
  formatProblem,
  show,
  showList,
} from "../../../components/core/problems";

describe("escapeControl", () => {
  it.each([
    ["an ANSI colour sequence", "\u001b[31mred\u001b[0m", "\\x1b[31mred\\x1b[0m"],
    ["a newline, a carriage return and a tab", "a\nb\rc\td", "a\\nb\\rc\\td"],
    ["NUL, DEL and a C1 control (CSI)", "\u0000\u007f\u009b2J", "\\x00\\x7f\\x9b2J"],
    ["the Unicode line and paragraph separators", "a\u2028b\u2029c", "a\\u2028b\\u2029c"],
    [
      "bidirectional overrides and isolates",
      "\u202egpj.exe\u2066\u2069\u200f\u061c",
      "\\u202egpj.exe\\u2066\\u2069\\u200f\\u061c",
    ],
  ])("escapes %s", (_what, text, escaped) => {
    expect(escapeControl(text)).toBe(escaped);
  });

  it("leaves printable text, accents and emoji alone", () => {
    expect(escapeControl('tenants/zoë.yaml: "🚀" is not valid')).toBe('tenants/zoë.yaml: "🚀" is not valid');
  });
});

describe("formatProblem", () => {
  it("escapes control characters in the source, the field path and the message", () => {
    expect(
      formatProblem({
        source: "tenants/a\nb.yaml",
        path: ["x\u001b[2J", 0, "y\u2028z"],
        message: "bad \u009b value\nforged: line",
      }),
    ).toBe("tenants/a\\nb.yaml: x\\x1b[2J[0].y\\u2028z: bad \\x9b value\\nforged: line");
  });
});

describe("bounded messages", () => {
  it("cut keeps short text and cuts long text to the limit with an ellipsis, never inside a surrogate pair", () => {
    expect(cut("abc", 3)).toBe("abc");
    expect(cut("abcdef", 5)).toBe("ab...");
    expect(cut("a🚀bcdef", 6)).toBe("a🚀...");
    expect(cut("ab🚀cdef", 6)).toBe("ab...");
  });

  it("show cuts a long value at 80 characters and never throws on a deeply nested one", () => {
    expect(show("x".repeat(200))).toBe(`"${"x".repeat(76)}...`);
    let deep: unknown[] = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(show(deep)).toBe("a list nested too deeply to show");
  });

  it("showList shows five items, each cut, then how many more", () => {
    expect(showList([])).toBe("");
    expect(showList(["a", "b"])).toBe("a, b");
    expect(showList(["a", "b", "c", "d", "e"])).toBe("a, b, c, d, e");
    expect(showList(["a", "b", "c", "d", "e", "f", "g"])).toBe("a, b, c, d, e and 2 more");
    expect(showList(["y".repeat(100)])).toBe(`${"y".repeat(77)}...`);
  });

  it("InvalidInputError bounds each problem's message, source and field names", () => {
    const e = new InvalidInputError([
      { source: `tenants/${"s".repeat(500)}.yaml`, path: ["k".repeat(500), 3], message: "m".repeat(50_000) },
    ]);
    const [p] = e.problems;
    expect(p!.source).toHaveLength(200);
    expect(p!.path).toEqual([`${"k".repeat(77)}...`, 3]);
    expect(p!.message).toHaveLength(1000);
    expect(p!.message.endsWith("...")).toBe(true);
    expect(e.message.length).toBeLessThan(1400);
  });

  it("InvalidInputError keeps short problems as they are", () => {
    const problem = { source: "tenants/alice.yaml", path: ["namespaces", 1], message: "is wrong" };
    expect(new InvalidInputError([problem]).problems).toEqual([problem]);
  });
});
