/**
 * `tenancy comment`, the pull request comment the pipelines post: 25 tenants onboarded in one change make a
 * `diff --format markdown` over GitHub's 65,536-character limit; the comment stays under 60,000, keeps the
 * summary, links the full diff (the artifact), and starts with the marker the pipelines find it by. The
 * validation problems, when validate fails, become the comment instead. Unit cases of the cut itself.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMENT_MARKER, capComment, problemsComment } from "../../plan/comment";
import { renderRecord } from "../../registry/records";
import { copyExample, runCli } from "../helpers/cli";

const ARTIFACT = "https://github.com/acme/registry/actions/runs/42/artifacts/7";

let repo: string;
const git = (...args: string[]) => {
  const r = spawnSync("git", ["-C", repo, "-c", "user.email=t@example.com", "-c", "user.name=t", ...args], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(r.stderr);
};

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), "tenancy-comment-"));
  copyExample(repo);
  git("init", "-q");
  git("add", ".");
  git("commit", "-q", "-m", "base");
  // the onboarding pull request: 25 new tenants, each as `tenancy onboard` writes it
  for (let i = 1; i <= 25; i++) {
    const id = `team${String(i).padStart(2, "0")}`;
    writeFileSync(
      join(repo, "tenants", `${id}.yaml`),
      renderRecord(
        {
          email: `${id}@example.com`,
          namespaces: [id, `${id}-dev`, `${id}-staging`],
          domains: [`${id}.example.com`],
          members: [],
        },
        "../schema/tenant.schema.json",
      ),
    );
  }
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe("the pull request comment", () => {
  it("25 tenants onboarded at once: the diff is over GitHub's limit, the comment under 60,000 with the artifact linked", () => {
    const diff = runCli(["diff", "--base", "HEAD", "--format", "markdown"], { cwd: repo });
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout.length).toBeGreaterThan(65_536);
    writeFileSync(join(repo, "diff.md"), diff.stdout);

    const r = runCli(["comment", "--diff", "diff.md", "--max-chars", "60000", "--link", ARTIFACT], {
      cwd: repo,
    });
    expect(r.code, r.stderr).toBe(0);
    const comment = r.stdout;
    expect(comment.length).toBeLessThanOrEqual(60_000);
    expect(comment.split("\n")[0]).toBe(COMMENT_MARKER);
    // the summary is whole, the cut is said, and the full diff is linked
    const summary = diff.stdout.slice(0, diff.stdout.indexOf("<details>")).trimEnd();
    expect(comment).toContain(summary);
    expect(comment).toMatch(/Cut to fit a comment:\*\* \d+ sections? of \d+ left out/);
    expect(comment).toContain(`[the full diff](${ARTIFACT})`);
    // every tenant's part it keeps is whole
    expect(comment.match(/<details>/g)?.length).toBe(comment.match(/<\/details>/g)?.length);
    expect(comment.match(/<details>/g)?.length).toBeGreaterThan(10);
  });

  it("a diff that fits is posted whole, with the artifact linked", () => {
    const body = "### tenancy diff\n\n| a |\n\n<details><summary>x</summary>\n\nrow\n\n</details>\n";
    const c = capComment(body, { link: ARTIFACT });
    expect(c.omitted).toBe(0);
    expect(c.text).toBe(
      `${COMMENT_MARKER}\n\n### tenancy diff\n\n| a |\n\n<details><summary>x</summary>\n\nrow\n\n</details>\n\n<sub>Full diff: [artifact](${ARTIFACT})</sub>\n`,
    );
  });

  it("cuts whole sections, never inside a code fence, and keeps the head first", () => {
    const part = (i: number) => `<details><summary>t${i}</summary>\n\n${"x".repeat(900)}\n\n</details>`;
    const mermaid = "#### Access delta\n\n```mermaid\nflowchart LR\n<details>\n#### not a section\n```";
    const body = ["### head", "**banner**", ...[1, 2, 3, 4, 5].map(part), mermaid].join("\n\n");
    const c = capComment(body, { maxChars: 3000, link: ARTIFACT });
    expect(c.text.length).toBeLessThanOrEqual(3000);
    expect(c.sections).toBe(6);
    expect(c.omitted).toBeGreaterThan(0);
    expect(c.text).toContain("### head\n\n**banner**");
    expect(c.text).toContain("<summary>t1</summary>");
    expect(c.text).not.toContain("<summary>t5</summary>");
    expect(c.text).toContain(`of 6 left out`);
    // a head alone over the limit is cut at a line, its fence closed
    const long = capComment(`### head\n\n\`\`\`\n${"y\n".repeat(5000)}\`\`\``, { maxChars: 2000 });
    expect(long.text.length).toBeLessThanOrEqual(2000);
    expect(long.text.match(/```/g)?.length).toBe(2);
  });

  it("validate's problems become the comment when the registry does not validate", () => {
    writeFileSync(join(repo, "tenants", "bad.yaml"), "email: not-an-email\nnamespaces: [Bad_NS]\n");
    try {
      const v = runCli(["validate"], { cwd: repo });
      expect(v.code).toBe(1);
      writeFileSync(join(repo, "problems.txt"), v.stderr);
      const r = runCli(["comment", "--problems", "problems.txt", "--link", ARTIFACT], { cwd: repo });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.split("\n")[0]).toBe(COMMENT_MARKER);
      expect(r.stdout).toContain("the registry does not validate");
      expect(r.stdout).toContain("tenants/bad.yaml");
      expect(r.stdout).toContain("Bad_NS");
    } finally {
      rmSync(join(repo, "tenants", "bad.yaml"));
    }
    // thousands of problems: whole lines kept, fence closed, under the limit, the log linked
    const many = Array.from({ length: 5000 }, (_, i) => `tenants/t${i}.yaml: email: not valid`).join("\n");
    const c = problemsComment(many, { maxChars: 10_000, link: ARTIFACT });
    expect(c.text.length).toBeLessThanOrEqual(10_000);
    expect(c.omitted).toBeGreaterThan(0);
    expect(c.text).toContain(`([the pipeline's log](${ARTIFACT}))`);
    expect(c.text.match(/```/g)?.length).toBe(2);
  });

  it("refuses no input, or both", () => {
    expect(runCli(["comment"], { cwd: repo }).code).toBe(2);
    expect(runCli(["comment", "--diff", "a", "--problems", "b"], { cwd: repo }).code).toBe(2);
  });
});
