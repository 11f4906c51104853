/**
 * Prints the plan and access fingerprints of the pinned registries; with --write, re-pins them in
 * test/plan/fingerprints.json (do that in the commit that deliberately changes what is planned).
 */
import { writeFileSync } from "node:fs";
import { FINGERPRINTS_FILE, REGISTRIES, fingerprints } from "../test/plan/fingerprints";

async function main(): Promise<void> {
  const out: Record<string, { plan: string; access: string }> = {};
  for (const [name, load] of Object.entries(REGISTRIES)) out[name] = await fingerprints(await load());
  const text = JSON.stringify(out, null, 2) + "\n";
  if (process.argv.includes("--write")) writeFileSync(FINGERPRINTS_FILE, text);
  process.stdout.write(text);
}

void main();
