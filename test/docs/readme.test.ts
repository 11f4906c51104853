/**
 * The README stays a short entry point, and the docs' relative links lead somewhere: every relative link
 * (and image) in README.md and docs/ names a file that exists and, with a #fragment into a Markdown file, a
 * heading that exists there (GitHub's anchors).
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli";

function markdownFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return markdownFiles(path);
    return name.endsWith(".md") ? [path] : [];
  });
}

/** Markdown without fenced code blocks and code spans: links there are text. */
function withoutCode(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** Relative link targets of `[text](target)` and `![alt](target)`; web, mail and in-page links left out. */
export function relativeLinks(text: string): string[] {
  const links: string[] = [];
  for (const m of withoutCode(text).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) continue;
    links.push(target);
  }
  return links;
}

/** The anchors GitHub gives a Markdown file's headings. */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of text
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "")
    .matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

const FILES = ["README.md", ...markdownFiles("docs")];

describe("README.md", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");

  it("is at most 150 lines", () => {
    expect(readme.trimEnd().split("\n").length).toBeLessThanOrEqual(150);
  });

  it("has no line over 140 characters (its tables included)", () => {
    const long = readme.split("\n").filter((l) => l.length > 140);
    expect(long).toEqual([]);
  });

  it("keeps the quick start's two commands", () => {
    expect(readme).toContain("npm ci && npx tenancy plan");
    expect(readme).toContain("npm test");
  });
});

describe("relative links in README.md and docs/", () => {
  it.each(FILES)("%s: every relative link points to an existing file and heading", (file) => {
    const broken: string[] = [];
    for (const link of relativeLinks(readFileSync(join(ROOT, file), "utf8"))) {
      const [path = "", fragment] = link.split("#");
      const target = resolve(ROOT, dirname(file), decodeURIComponent(path));
      if (!existsSync(target)) {
        broken.push(`${link}: no file ${relative(ROOT, target)}`);
        continue;
      }
      if (fragment && target.endsWith(".md") && !anchors(readFileSync(target, "utf8")).has(fragment))
        broken.push(`${link}: no heading #${fragment} in ${relative(ROOT, target)}`);
    }
    expect(broken).toEqual([]);
  });

  it("finds links, and skips code, web links and in-page anchors", () => {
    expect(
      relativeLinks(
        "[a](docs/a.md) ![i](x.png) [w](https://x.io) [h](#top) `[c](no.md)`\n```\n[d](no.md)\n```\n[e](b.md#sec)",
      ),
    ).toEqual(["docs/a.md", "x.png", "b.md#sec"]);
    expect([...anchors("# The `registry`: x\n## Many tenants: shards\n## A\n## A")]).toEqual([
      "the-registry-x",
      "many-tenants-shards",
      "a",
      "a-1",
    ]);
  });
});
