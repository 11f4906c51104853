/**
 * Writes the schema a test validates custom resources against, from a CRD file:
 *   npx tsx scripts/crd-fixture.ts <crd.yaml> <out.json> [--drop field ...]
 * The storage version's openAPIV3Schema, with the named spec fields (huge embedded pod templates tenancy never
 * sets) reduced to "any object". The source CRD is named in the output's $comment.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parse } from "yaml";

const [, , input, output, ...rest] = process.argv;
if (!input || !output) throw new Error("usage: crd-fixture <crd.yaml> <out.json> [--drop field ...]");
const drop = rest.filter((a) => a !== "--drop");
const crd = parse(readFileSync(input, "utf8")) as {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; storage: boolean; schema: { openAPIV3Schema: Record<string, unknown> } }[];
  };
};
const version = crd.spec.versions.find((v) => v.storage)!;
const schema = version.schema.openAPIV3Schema as {
  properties: { spec: { properties: Record<string, unknown> } };
};
for (const f of drop)
  schema.properties.spec.properties[f] = { type: "object", "x-kubernetes-preserve-unknown-fields": true };
writeFileSync(
  output,
  JSON.stringify(
    {
      $comment: `${crd.spec.group}/${version.name} ${crd.spec.names.kind}: openAPIV3Schema of ${process.env.CRD_SOURCE ?? input}; reduced: ${drop.join(", ") || "nothing"}`,
      ...schema,
    },
    null,
    1,
  ) + "\n",
);
