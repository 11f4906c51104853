// Writes schema/*.json from the zod schemas: `npm run schema`. A test fails when they drift.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { jsonSchemas, serialise } from "../registry/json-schema";

for (const [file, schema] of Object.entries(jsonSchemas())) {
  writeFileSync(join(__dirname, "..", "schema", file), serialise(schema));
  console.log(`schema/${file}`);
}
