/**
 * Validates an object against a CustomResourceDefinition's structural schema (its version's `openAPIV3Schema`,
 * vendored under test/fixtures/crds) as the API server does on a create
 * (k8s.io/apiextensions-apiserver/pkg/apiserver/schema): defaults first (`default`), then types, `required`,
 * `enum`, `minimum`/`maximum`, `minLength`/`maxLength`, `pattern`, `minItems`/`maxItems`,
 * `minProperties`/`maxProperties`, `x-kubernetes-list-type: set` (no duplicates) and the CEL rules of
 * `x-kubernetes-validations` (evaluated with @bufbuild/cel and Kubernetes' IP and CIDR libraries,
 * test/helpers/cel-net.ts, `self` the value, no `oldSelf` on a create).
 *
 * One difference on purpose: the API server prunes a field the schema does not declare (silently, so a typo would
 * be dropped); this refuses it. `metadata` is the object's own (test/helpers/k8s-schema.ts checks its names and
 * labels); `status` is the server's. Returns every problem, each with its JSON path.
 */
import { evaluate, toCel } from "./admission";

export interface Schema {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  format?: string;
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: string;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-validations"?: { rule: string; message?: string }[];
  [key: string]: unknown;
}

/** The keywords this validator knows; a schema using another is an error, so nothing is skipped unseen. */
const KNOWN = new Set([
  "$comment",
  "description",
  "type",
  "properties",
  "additionalProperties",
  "items",
  "required",
  "enum",
  "default",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "pattern",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "format",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-validations",
]);

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/** Applies `default`s as the API server does before validating (a copy; the input is left alone). */
export function withDefaults(value: unknown, schema: Schema): unknown {
  if (Array.isArray(value)) return schema.items ? value.map((v) => withDefaults(v, schema.items!)) : value;
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [k, s] of Object.entries(schema.properties ?? {})) {
    if (out[k] === undefined && s.default !== undefined) out[k] = structuredClone(s.default);
    if (out[k] !== undefined) out[k] = withDefaults(out[k], s);
  }
  if (typeof schema.additionalProperties === "object")
    for (const k of Object.keys(out))
      if (!schema.properties?.[k]) out[k] = withDefaults(out[k], schema.additionalProperties);
  return out;
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function check(value: unknown, schema: Schema, path: string, out: string[], top: boolean): void {
  for (const k of Object.keys(schema))
    if (!KNOWN.has(k)) throw new Error(`${path || "/"}: schema keyword ${k} is not modelled`);
  const at = path || "/";
  const t = typeOf(value);
  if (schema.type) {
    const ok = schema.type === "number" ? t === "number" || t === "integer" : t === schema.type;
    if (!ok) {
      out.push(`${at}: must be ${schema.type}, is ${t}`);
      return;
    }
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value)))
    out.push(`${at}: must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`);
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum)
      out.push(`${at}: must be >= ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum)
      out.push(`${at}: must be <= ${schema.maximum}`);
    if (schema.format === "int32" && (value < INT32.min || value > INT32.max))
      out.push(`${at}: must be an int32`);
  }
  if (typeof value === "string") {
    const n = [...value].length;
    if (schema.minLength !== undefined && n < schema.minLength)
      out.push(`${at}: must be at least ${schema.minLength} characters`);
    if (schema.maxLength !== undefined && n > schema.maxLength)
      out.push(`${at}: must be at most ${schema.maxLength} characters`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value))
      out.push(`${at}: must match ${schema.pattern}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      out.push(`${at}: must have at least ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      out.push(`${at}: must have at most ${schema.maxItems} items`);
    if (schema["x-kubernetes-list-type"] === "set") {
      const seen = new Set<string>();
      for (const v of value) {
        const key = JSON.stringify(v);
        if (seen.has(key)) out.push(`${at}: duplicate entry ${key} in a set`);
        seen.add(key);
      }
    }
    if (schema.items) value.forEach((v, i) => check(v, schema.items!, `${path}/${i}`, out, false));
  }
  if (t === "object") {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (schema.minProperties !== undefined && keys.length < schema.minProperties)
      out.push(`${at}: must have at least ${schema.minProperties} properties`);
    if (schema.maxProperties !== undefined && keys.length > schema.maxProperties)
      out.push(`${at}: must have at most ${schema.maxProperties} properties`);
    for (const r of schema.required ?? [])
      if (o[r] === undefined) out.push(`${at}: must have required property ${r}`);
    for (const k of keys) {
      // the object's metadata is checked on its own; status is the server's
      if (top && (k === "metadata" || k === "status")) continue;
      const s =
        schema.properties?.[k] ??
        (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
      if (s) check(o[k], s, `${path}/${k}`, out, false);
      else if (!schema["x-kubernetes-preserve-unknown-fields"] && schema.additionalProperties !== true)
        out.push(`${at}: unknown field ${JSON.stringify(k)} (the API server would drop it)`);
    }
  }
  for (const v of schema["x-kubernetes-validations"] ?? []) {
    const result = evaluate(v.rule, { self: toCel(value) });
    if (result instanceof Error) out.push(`${at}: ${v.rule}: ${result.message}`);
    else if (result !== true) out.push(`${at}: ${v.message ?? `failed rule: ${v.rule}`}`);
  }
}

/** Every problem of `obj` against `schema` (defaults applied first), each with its JSON path; [] when valid. */
export function crdProblems(obj: unknown, schema: Schema): string[] {
  const out: string[] = [];
  check(withDefaults(obj, schema), schema, "", out, true);
  return out;
}
