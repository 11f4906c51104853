/**
 * The generated reference pages (docs/reference/*.md) are what the zod schemas generate now: a schema change
 * without `npm run docs` fails here. The generator itself is checked on what it must list.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fieldRows, referencePages, showValue, typeOf } from "../../scripts/gen-docs";
import { ROOT } from "../helpers/cli";

describe("docs/reference", () => {
  it("the committed pages are what the schemas generate", async () => {
    const pages = await referencePages();
    expect(Object.keys(pages).sort()).toEqual([
      "docs/reference/environment.md",
      "docs/reference/registry.md",
    ]);
    for (const [file, text] of Object.entries(pages)) {
      let committed = "";
      try {
        committed = readFileSync(join(ROOT, file), "utf8");
      } catch {
        // a missing page differs too
      }
      expect(committed, `${file} differs from what registry/schema.ts generates: run npm run docs`).toBe(
        text,
      );
    }
  });

  it("lists every field of a tenant record, the apps entry's namespace included", async () => {
    const registry = (await referencePages())["docs/reference/registry.md"]!;
    for (const path of [
      "email",
      "namespaces[].clusterSelector.matchExpressions[].operator",
      'quota["requests.cpu"]',
      "apps[].name",
      "apps[].settings",
      "apps[].enabled",
      "apps[].namespace",
      "ci.boundClaims",
      "shard",
    ])
      expect(registry, path).toContain(`| \`${path}\``);
  });

  it("keeps defaults zod leaves out of the input JSON Schema (a transforming field's)", async () => {
    const registry = (await referencePages())["docs/reference/registry.md"]!;
    const git = registry.split("\n").find((l) => l.startsWith("| `git`"));
    expect(git).toMatch(/\| `\[\]` +\|/);
  });

  it("walks objects, lists, maps and unions into field paths", () => {
    const rows = fieldRows({
      type: "object",
      properties: {
        a: { type: "string", description: "an a" },
        b: {
          type: "array",
          items: {
            anyOf: [
              { type: "string" },
              { type: "object", properties: { c: { type: "integer" } }, required: ["c"] },
            ],
          },
        },
        m: {
          type: "object",
          additionalProperties: {
            type: "object",
            properties: { "x.y": { type: "boolean", default: false } },
          },
        },
      },
      required: ["a"],
    });
    expect(rows.map((r) => [r.path, r.type, r.required])).toEqual([
      ["a", "string", true],
      ["b", "list of (string or object)", false],
      ["b[].c", "integer", true],
      ["m", "map of object", false],
      ["m.<name>", "object", undefined],
      ['m.<name>["x.y"]', "boolean", false],
    ]);
    expect(rows[0]!.description).toBe("an a");
    expect(rows[5]!.default).toBe(false);
  });

  it("says types and values as they are written in YAML", () => {
    expect(typeOf({ type: "string", enum: ["a", "b"] })).toBe("`a` or `b`");
    expect(typeOf({ type: "integer", minimum: 1, maximum: 65535 })).toBe("integer (≥ 1, ≤ 65535)");
    expect(typeOf({ type: "array", items: { type: "string" }, minItems: 1 })).toBe(
      "list of string, at least 1 item",
    );
    expect(showValue({ enabled: true, list: ["x", ""] })).toBe('{enabled: true, list: [x, ""]}');
    expect(showValue("true")).toBe('"true"');
    expect(showValue("1e3")).toBe('"1e3"');
  });
});
