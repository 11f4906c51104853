/**
 * The ready pipeline files (pipelines/): they parse, every `tenancy` command they run exists with the flags
 * they pass, they run what the README's "Onboarding a tenant" promises (validate and diff on a pull request,
 * up and the events on main), and the pull request job of GitHub Actions never runs the pull request's code.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildProgram } from "../cli/main";
import { ROOT } from "./helpers/cli";

const load = (file: string) =>
  parse(readFileSync(join(ROOT, "pipelines", file), "utf8")) as Record<string, unknown>;

/** Every `npx tenancy ...` invocation in a shell script: its words, up to the first shell operator. */
export function tenancyCalls(script: string): string[][] {
  const calls: string[][] = [];
  for (const m of script.matchAll(/npx tenancy\b([^\n|;&>)]*)/g)) {
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

const PIPELINES = ["github-actions.yml", "woodpecker.yml"];

describe("pipeline files", () => {
  it.each(PIPELINES)("%s: every tenancy command exists with its flags", (file) => {
    const program = buildProgram();
    const calls = [...scripts(load(file)).values()].flatMap(tenancyCalls);
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
  });

  it("drift runs on a schedule only, with the credentials it reads with", () => {
    const gh = load("github-actions.yml");
    expect((gh.on as { schedule: { cron: string }[] }).schedule).toHaveLength(1);
    const drift = (gh.jobs as Record<string, { if: string; env: Record<string, string> }>).drift!;
    expect(drift.if).toBe("github.event_name == 'schedule'");
    expect(Object.keys(drift.env).sort()).toEqual([
      "CLOUDFLARE_API_TOKEN",
      "PULUMI_ACCESS_TOKEN",
      "VAULT_TOKEN",
    ]);
    const wp = load("woodpecker.yml");
    const step = (wp.steps as { name: string; when: unknown }[]).find((s) => s.name === "drift")!;
    expect(step.when).toEqual([{ event: "cron", cron: "drift" }]);
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
    expect(at(/^npm ci$/)).toBeGreaterThan(-1);
    expect(at(/git restore --source="\$PR_SHA" --worktree -- tenants environments/)).toBeGreaterThan(
      at(/^npm ci$/),
    );
    expect(job.permissions).toEqual({ contents: "read", "pull-requests": "write" });
  });
});
