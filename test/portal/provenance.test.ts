import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { escapeHtml, html, raw } from "../../portal/html";
import { type GitRunner, describeProvenance, registryProvenance } from "../../portal/provenance";
import { shellQuote } from "../../portal/shell";
import { EXAMPLE_TENANTS } from "../helpers/cli";

const HEAD = "0123456789abcdef0123456789abcdef01234567";

/** A fake git: answers by the arguments, records the calls. */
function fakeGit(answers: Record<string, string | Error>): GitRunner & { calls: string[] } {
  const calls: string[] = [];
  const git = ((args: string[], cwd: string) => {
    calls.push(`${cwd}: git ${args.join(" ")}`);
    const answer = answers[args.join(" ")];
    if (answer === undefined || answer instanceof Error)
      throw answer ?? new Error("fatal: not a git repository");
    return answer;
  }) as GitRunner & { calls: string[] };
  git.calls = calls;
  return git;
}

describe("which registry a portal was generated from", () => {
  it("names the registry directory's HEAD, and says when it or the environment file has uncommitted changes", () => {
    const clean = fakeGit({
      "rev-parse --is-inside-work-tree": "true\n",
      "rev-parse HEAD": `${HEAD}\n`,
      "status --porcelain -- .": "",
      "status --porcelain -- example.yaml": "",
    });
    const p = registryProvenance("example", "/r/tenants", "/r/environments/example.yaml", clean);
    expect(p).toEqual({ environment: "example", commit: HEAD, uncommitted: false });
    expect(clean.calls).toEqual([
      "/r/tenants: git rev-parse --is-inside-work-tree",
      "/r/tenants: git rev-parse HEAD",
      "/r/tenants: git status --porcelain -- .",
      "/r/environments: git status --porcelain -- example.yaml",
    ]);
    expect(describeProvenance(p)).toBe(`Generated from registry commit ${HEAD}, environment example.`);
    const edited = fakeGit({
      "rev-parse --is-inside-work-tree": "true\n",
      "rev-parse HEAD": `${HEAD}\n`,
      "status --porcelain -- .": "",
      "status --porcelain -- example.yaml": " M example.yaml\n",
    });
    const dirty = registryProvenance("example", "/r/tenants", "/r/environments/example.yaml", edited);
    expect(describeProvenance(dirty)).toBe(
      `Generated from registry commit ${HEAD} (with uncommitted changes), environment example.`,
    );
  });

  it("says it is not a git checkout when git finds no work tree", () => {
    const p = registryProvenance("prod", "/somewhere", undefined, fakeGit({}));
    expect(p).toEqual({ environment: "prod", uncommitted: false });
    expect(describeProvenance(p)).toBe(
      "Generated from a registry that is not a git checkout, environment prod.",
    );
  });

  it("asks the real git: this checkout, and a directory outside any", () => {
    expect(registryProvenance("example", EXAMPLE_TENANTS).commit).toMatch(/^[0-9a-f]{40}$/);
    const outside = mkdtempSync(join(tmpdir(), "tenancy-no-git-"));
    try {
      writeFileSync(join(outside, "a.yaml"), "email: a@example.com\n");
      expect(registryProvenance("example", outside)).toEqual({ environment: "example", uncommitted: false });
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe("escaping", () => {
  it("escapes every interpolated value, keeps only markup made by html or raw", () => {
    const evil = `<img src=x onerror="alert(1)">'&\``;
    expect(escapeHtml(evil)).toBe("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;&#96;");
    expect(html`<td title="${evil}">${evil}</td>`.text).toBe(
      `<td title="${escapeHtml(evil)}">${escapeHtml(evil)}</td>`,
    );
    expect(html`<p>${[html`<b>${"<i>"}</b>`, "<u>"]}${undefined}${false}${0}</p>`.text).toBe(
      "<p><b>&lt;i&gt;</b>&lt;u&gt;0</p>",
    );
    expect(html`${raw("<hr>")}`.text).toBe("<hr>");
  });

  it("quotes shell values so that sh reads them back unchanged", () => {
    expect(shellQuote(`it's $(x) "y" \`z\``)).toBe(`'it'\\''s $(x) "y" \`z\`'`);
  });
});
