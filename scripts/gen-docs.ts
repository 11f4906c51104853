/**
 * Writes the reference pages docs/reference/registry.md and docs/reference/environment.md from the zod
 * schemas (registry/schema.ts): `npm run docs`. `npm run docs -- --check` writes nothing and exits 1 when a
 * committed page differs from what the schemas generate; test/docs/reference.test.ts fails then too. It also
 * writes the benchmark table of docs/admission.md (scripts/gen-benchmark.ts, test/docs/benchmark.test.ts).
 *
 * Like scripts/gen-schema.ts it goes through zod's JSON Schema (`z.toJSONSchema`, the input side: what a
 * person writes), then walks that: every field path with its type, whether it is required, its default
 * and its description (`.describe()`, or `.meta()`'s). Pages are formatted with the repository's prettier
 * settings, so `npm run lint` accepts them as generated.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import * as prettier from "prettier";
import { stringify } from "yaml";
import { z } from "zod";
import { EnvironmentFile, TenantFile } from "../registry/schema";
import { benchmarkPages } from "./gen-benchmark";

const ROOT = join(__dirname, "..");

/** The part of JSON Schema `z.toJSONSchema` emits for these schemas. */
interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
}

/** One row of a reference table. */
export interface FieldRow {
  path: string;
  type: string;
  /** Whether the field must be given when its parent is; a map's entries are neither. */
  required?: boolean;
  default?: unknown;
  description?: string;
}

/**
 * The input-side JSON Schema, as registry/json-schema.ts makes it for editors, with every default kept:
 * zod leaves out the default of a field whose schema transforms (its value is of the output type), but
 * to a reader it is still what an absent field means.
 */
function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
    override: ({ zodSchema, jsonSchema }) => {
      const def = zodSchema._zod.def as { type: string; defaultValue?: unknown };
      if ((def.type === "default" || def.type === "prefault") && jsonSchema.default === undefined)
        jsonSchema.default = JSON.parse(JSON.stringify(def.defaultValue)) as never;
      // a discriminated union's alternatives (oneOf): to a reader, alternatives like any other union's
      const alternatives = (jsonSchema as { oneOf?: unknown }).oneOf;
      if (alternatives !== undefined) {
        (jsonSchema as { anyOf?: unknown }).anyOf = alternatives;
        delete (jsonSchema as { oneOf?: unknown }).oneOf;
      }
    },
  }) as JsonSchema;
}

const SAFE_INTEGER = Number.MAX_SAFE_INTEGER;
const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

function childPath(parent: string, key: string): string {
  if (!PLAIN_KEY.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === "" ? key : `${parent}.${key}`;
}

function isStructured(s: JsonSchema): boolean {
  if (s.anyOf) return s.anyOf.some(isStructured);
  if (s.properties) return true;
  if (s.items) return isStructured(s.items);
  return typeof s.additionalProperties === "object" && isStructured(s.additionalProperties);
}

/** A plain YAML scalar: written as is in a tenant or environment file. */
const PLAIN_STRING = /^[A-Za-z0-9_./-]([A-Za-z0-9_./: -]*[A-Za-z0-9_./-])?$/;

/** A value as it is written in YAML, on one line (flow style): `[a, b]`, `{enabled: true}`, `""`. */
export function showValue(v: unknown): string {
  if (typeof v === "string")
    return PLAIN_STRING.test(v) && !/^(true|false|null|~|[-+.\d][\d.eE+-]*)$/i.test(v)
      ? v
      : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(showValue).join(", ")}]`;
  if (v !== null && typeof v === "object")
    return `{${Object.entries(v)
      .map(([k, w]) => `${showValue(k)}: ${showValue(w)}`)
      .join(", ")}}`;
  return JSON.stringify(v);
}

/** The type as a reader would say it: `list of string`, `map of object`, `a` or `b`, `integer (≥ 1)`. */
export function typeOf(s: JsonSchema): string {
  if (s.anyOf) return [...new Set(s.anyOf.map(typeOf))].join(" or ");
  if (s.const !== undefined) return `\`${showValue(s.const)}\``;
  if (s.enum) return s.enum.map((v) => `\`${showValue(v)}\``).join(" or ");
  const types = Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type];
  if (types.length === 0) return "any";
  return types.map((t) => typeName(t, s)).join(" or ");
}

function typeName(t: string, s: JsonSchema): string {
  const limits: string[] = [];
  switch (t) {
    case "string":
      if (s.format) limits.push(s.format);
      if (s.minLength !== undefined && s.minLength > 0) limits.push("not empty");
      if (s.maxLength !== undefined) limits.push(`at most ${s.maxLength} characters`);
      return withLimits("string", limits);
    case "integer":
    case "number":
      if (s.minimum !== undefined && s.minimum > -SAFE_INTEGER) limits.push(`≥ ${s.minimum}`);
      if (s.maximum !== undefined && s.maximum < SAFE_INTEGER) limits.push(`≤ ${s.maximum}`);
      return withLimits(t, limits);
    case "array": {
      const item = s.items ? typeOf(s.items) : "any";
      const list = `list of ${item.includes(" or ") ? `(${item})` : item}`;
      const min = s.minItems !== undefined && s.minItems > 0 ? s.minItems : undefined;
      const items = (n: number) => `${n} item${n === 1 ? "" : "s"}`;
      if (min !== undefined && s.maxItems !== undefined) return `${list}, ${min} to ${items(s.maxItems)}`;
      if (min !== undefined) return `${list}, at least ${items(min)}`;
      if (s.maxItems !== undefined) return `${list}, at most ${items(s.maxItems)}`;
      return list;
    }
    case "object":
      if (!s.properties && typeof s.additionalProperties === "object") {
        const value = typeOf(s.additionalProperties);
        return `map of ${value.includes(" or ") ? `(${value})` : value}`;
      }
      return "object";
    default:
      return t;
  }
}

function withLimits(type: string, limits: string[]): string {
  return limits.length === 0 ? type : `${type} (${limits.join(", ")})`;
}

/**
 * Every field below `s`, depth first in the schema's order. Union alternatives share their path; list
 * items add `[]`, map entries `.<name>`. A map's own entry gets a row when it is an object.
 */
export function fieldRows(s: JsonSchema, path = ""): FieldRow[] {
  const rows: FieldRow[] = [];
  if (s.anyOf) for (const alt of s.anyOf) rows.push(...fieldRows(alt, path));
  if (s.items) rows.push(...fieldRows(s.items, `${path}[]`));
  if (s.properties) {
    for (const [key, child] of Object.entries(s.properties)) {
      const at = childPath(path, key);
      rows.push(row(at, child, s.required?.includes(key) ?? false), ...fieldRows(child, at));
    }
  } else if (typeof s.additionalProperties === "object" && isStructured(s.additionalProperties)) {
    const at = `${path}.<name>`;
    rows.push(row(at, s.additionalProperties, undefined), ...fieldRows(s.additionalProperties, at));
  }
  return rows;
}

function row(path: string, s: JsonSchema, required: boolean | undefined): FieldRow {
  // an object's default that only repeats its fields' own defaults says no more than `{}`
  const shown =
    s.properties && s.default !== undefined && sameJson(s.default, fieldDefaults(s)) ? {} : s.default;
  return {
    path,
    type: typeOf(s),
    ...(required !== undefined && { required }),
    ...(shown !== undefined && { default: shown }),
    ...(s.description !== undefined && { description: s.description }),
  };
}

/** What an object's fields default to on their own. */
function fieldDefaults(s: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(s.properties ?? {}))
    if (child.default !== undefined) out[key] = child.default;
  return out;
}

function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): unknown =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v)
            .sort(([x], [y]) => x.localeCompare(y))
            .map(([k, w]) => [k, canonical(w)]),
        )
      : Array.isArray(v)
        ? v.map(canonical)
        : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Markdown text outside code spans: `<` would open an HTML tag, `*` emphasis, `\` an escape. */
function escapeProse(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/[\\<*]/g, (c) => `\\${c}`)))
    .join("");
}

/** A table cell: one line, and `|` (even in code spans) does not end it. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|");
}

const LONG_DEFAULT = 80;

interface Section {
  field: string;
  rows: FieldRow[];
}

function renderSection({ field, rows }: Section): string {
  const long: [string, unknown][] = [];
  const lines = [
    `## \`${field}\``,
    "",
    "| field | type | required | default | description |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    let shown = "";
    if (r.default !== undefined) {
      const value = showValue(r.default);
      if (value.length <= LONG_DEFAULT) shown = `\`${value}\``;
      else {
        long.push([r.path, r.default]);
        shown = "below";
      }
    }
    lines.push(
      `| ${[
        `\`${r.path}\``,
        r.type,
        r.required === undefined ? "" : r.required ? "yes" : "no",
        shown,
        escapeProse(r.description ?? ""),
      ]
        .map(cell)
        .join(" | ")} |`,
    );
  }
  for (const [path, value] of long)
    lines.push("", `Default of \`${path}\`:`, "", "```yaml", stringify(value).trimEnd(), "```");
  return lines.join("\n");
}

interface Page {
  file: string;
  title: string;
  schemaName: string;
  concept: string;
  schema: z.ZodType;
}

const PAGES: Page[] = [
  {
    file: "docs/reference/registry.md",
    title: "Reference: a tenant record, `tenants/<id>.yaml`",
    schemaName: "TenantFile",
    concept: "[The registry](../registry.md)",
    schema: TenantFile,
  },
  {
    file: "docs/reference/environment.md",
    title: "Reference: an environment, `environments/<env>.yaml`",
    schemaName: "EnvironmentFile",
    concept: "[The environment](../environment.md)",
    schema: EnvironmentFile,
  },
];

function renderPage(page: Page): string {
  const json = jsonSchemaOf(page.schema);
  const rows = fieldRows(json);
  const sections: Section[] = Object.keys(json.properties ?? {}).map((field) => ({
    field,
    rows: rows.filter(
      (r) => r.path === field || r.path.startsWith(`${field}.`) || r.path.startsWith(`${field}[`),
    ),
  }));
  return [
    "<!-- Generated by scripts/gen-docs.ts from registry/schema.ts: do not edit, run `npm run docs`. -->",
    "",
    `# ${page.title}`,
    "",
    `${escapeProse(json.description ?? "")}. Generated from the zod schema \`${page.schemaName}\` in`,
    "`registry/schema.ts`, the one the validator applies; what the fields are for:",
    `${page.concept}.`,
    "",
    "How to read a field path: `a.b` is field `b` of object `a`; `a[]` each item of list `a`; `a.<name>` each",
    'entry of map `a`; `a["x.y"]` a key with a dot in it. Where a value may take several shapes (a name or',
    "an object), the object's fields are listed under the same path. **required** means required whenever its",
    "parent is given; **default** is what an absent field means. Rules across fields and across files",
    "(claims, ceilings, references to the environment) are checked by the validator (`registry/validate.ts`,",
    "`registry/rules/`) and reported the same way; `npx tenancy validate` shows them all.",
    "",
    ...sections.map((s) => renderSection(s) + "\n"),
  ].join("\n");
}

/** Every reference page, path relative to the repository -> its content, formatted. */
export async function referencePages(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const page of PAGES) {
    const path = join(ROOT, page.file);
    const config = (await prettier.resolveConfig(path)) ?? {};
    out[page.file] = await prettier.format(renderPage(page), { ...config, filepath: path });
  }
  return out;
}

async function main(): Promise<void> {
  const check = process.argv.includes("--check");
  const stale: string[] = [];
  // and the benchmark table of docs/admission.md (scripts/gen-benchmark.ts)
  const pages = { ...(await referencePages()), ...(await benchmarkPages()) };
  for (const [file, text] of Object.entries(pages)) {
    const path = join(ROOT, file);
    let current: string | undefined;
    try {
      current = readFileSync(path, "utf8");
    } catch {
      current = undefined;
    }
    if (current === text) continue;
    if (check) stale.push(file);
    else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      console.log(file);
    }
  }
  if (stale.length > 0) {
    console.error(`${stale.join(", ")}: differs from what generates it; run npm run docs`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
