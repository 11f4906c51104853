/**
 * Golden outputs of `tenancy diff` (text and markdown), compared exactly (issue 27): a promotion, a member
 * invitation, a new namespace and a Vault policy change, on the test fixture registry (test/fixtures/example).
 * `UPDATE_GOLDEN=1 npx vitest run test/plan/diff-golden.test.ts` rewrites them; read the change before committing.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareRegistries, formatDiff, formatDiffMarkdown } from "../../plan/diff";
import type { TenantDocument } from "../../registry/model";
import { LAYERS } from "../../stacks/layers";
import { exampleEnvironmentData, exampleWithEnvironment } from "./registries";

const DIR = join(__dirname, "diff-golden");

type Doc = Record<string, unknown>;
/** The example with one tenant's record edited. */
const editing =
  (id: string, edit: (data: Doc) => void) =>
  (doc: TenantDocument): TenantDocument => {
    if (doc.id !== id) return doc;
    const data = structuredClone(doc.data) as Doc;
    edit(data);
    return { ...doc, data };
  };

const CASES: Record<string, () => ReturnType<typeof exampleWithEnvironment>> = {
  // bob: power-user -> admin
  promotion: () =>
    exampleWithEnvironment(
      exampleEnvironmentData(),
      editing("bob", (d) => (d.role = "admin")),
    ),
  // carol invites alice as a viewer into a namespace of her own
  "member-invitation": () =>
    exampleWithEnvironment(
      exampleEnvironmentData(),
      editing("carol", (d) => {
        d.namespaces = ["carol"];
        d.members = [{ tenant: "alice", role: "viewer" }];
      }),
    ),
  // alice adds a namespace: its effective quota shown
  "new-namespace": () =>
    exampleWithEnvironment(
      exampleEnvironmentData(),
      editing("alice", (d) => (d.namespaces = [...(d.namespaces as unknown[]), "alice-test"])),
    ),
  // the environment moves tenants' KV paths under another prefix: every policy's paths change
  "vault-policy": () => {
    const env = exampleEnvironmentData();
    env.vault.tenantPrefix = "teams";
    return exampleWithEnvironment(env);
  },
};

describe("diff golden outputs", () => {
  for (const [name, head] of Object.entries(CASES))
    it(name, async () => {
      const diff = await compareRegistries(exampleWithEnvironment(exampleEnvironmentData()), head(), LAYERS);
      const outputs = {
        [`${name}.txt`]: formatDiff(diff, "diff main -> working tree (environment example)") + "\n",
        [`${name}.md`]: formatDiffMarkdown(diff, "main", "example", diff.refused) + "\n",
      };
      for (const [file, text] of Object.entries(outputs)) {
        const path = join(DIR, file);
        if (process.env.UPDATE_GOLDEN === "1" || !existsSync(path)) writeFileSync(path, text);
        expect(text, file).toBe(readFileSync(path, "utf8"));
      }
    });
});
