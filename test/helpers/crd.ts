/**
 * A custom resource checked as the API server checks it against its CRD's structural schema: the OpenAPI rules
 * (types, required, maxLength, pattern: Ajv) and the CEL rules (`x-kubernetes-validations`), each evaluated with
 * `self` bound to the value at its node, with the CEL implementation the admission tests use (@bufbuild/cel).
 * Transition rules (`oldSelf`) are for updates: a create never evaluates them, and neither does this.
 */
import Ajv from "ajv";
import { evaluate, toCel } from "./admission";

interface Node {
  properties?: Record<string, Node>;
  items?: Node;
  additionalProperties?: Node | boolean;
  "x-kubernetes-validations"?: { rule: string; message?: string }[];
}

/** Every CEL rule of the schema the value breaks, as `<path>: <message>`. */
function celErrors(schema: Node, value: unknown, path: string, out: string[]): void {
  if (value === undefined || value === null) return;
  for (const v of schema["x-kubernetes-validations"] ?? []) {
    if (v.rule.includes("oldSelf")) continue;
    const result = evaluate(v.rule, { self: toCel(value) });
    if (result instanceof Error) out.push(`${path || "<root>"}: ${result.message}`);
    else if (result !== true) out.push(`${path || "<root>"}: ${v.message ?? `failed rule: ${v.rule}`}`);
  }
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((x, i) => celErrors(schema.items!, x, `${path}[${i}]`, out));
    return;
  }
  if (typeof value !== "object") return;
  for (const [k, x] of Object.entries(value as Record<string, unknown>)) {
    const sub =
      schema.properties?.[k] ??
      (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
    if (sub) celErrors(sub, x, path ? `${path}.${k}` : k, out);
  }
}

/** A validator for one CRD version's openAPIV3Schema: every problem of an object, [] when it is valid. */
export function crdValidator(schema: Record<string, unknown>): (object: unknown) => string[] {
  const { $comment: _source, ...openapi } = schema;
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  const validate = ajv.compile(openapi);
  return (object) => {
    const out: string[] = [];
    if (!validate(object))
      for (const e of validate.errors ?? []) out.push(`${e.instancePath || "<root>"}: ${e.message ?? ""}`);
    celErrors(openapi as Node, object, "", out);
    return out;
  };
}
