/**
 * The code's shape, as ARCHITECTURE.md describes it, checked on the source itself:
 * - policy/ is plain data: it reaches neither the Pulumi SDK nor components/ (but their core), stacks/ or
 *   plan/'s harness;
 * - plan/ never imports a stack module (layer programs are passed in);
 * - resources are data: components/ and the layer programs specify resources without the Pulumi SDK, the
 *   registrar (stacks/registrar.ts) is the only module that makes SDK resources, and no offline command's
 *   modules reach the SDK;
 * - no import circles;
 * - stack names, StackReference names and the project are made in layers/identity.ts only.
 * Each check is also run on a made-up violation, so it can fail.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/cli";

const SOURCE_DIRS = [
  "cli",
  "components",
  "deploy",
  "layers",
  "plan",
  "policy",
  "portal",
  "registry",
  "stacks",
];

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

/** The module specifiers a file imports or re-exports (type-only imports included: they are dependencies too). */
export function importsOf(text: string): string[] {
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/g)) specs.push(m[1]!);
  for (const m of text.matchAll(/\b(?:require|import)\(\s*"([^"]+)"\s*\)/g)) specs.push(m[1]!);
  return specs;
}

/** A relative import resolved to a project path (`policy/rbac.ts`); packages stay as they are. */
function resolveImport(from: string, spec: string): string {
  if (!spec.startsWith(".")) return spec;
  return relative(ROOT, resolve(ROOT, dirname(from), spec)) + ".ts";
}

const graph = new Map<string, string[]>(
  SOURCE_DIRS.flatMap(sourceFiles).map((f) => [
    f,
    importsOf(readFileSync(join(ROOT, f), "utf8")).map((s) => resolveImport(f, s)),
  ]),
);

/** Everything a file reaches through imports, itself excluded. */
function reach(file: string, edges: ReadonlyMap<string, string[]> = graph): Set<string> {
  const seen = new Set<string>();
  const visit = (f: string) => {
    for (const next of edges.get(f) ?? []) {
      if (seen.has(next)) continue;
      seen.add(next);
      visit(next);
    }
  };
  visit(file);
  return seen;
}

const filesUnder = (dir: string) => [...graph.keys()].filter((f) => f.startsWith(`${dir}/`));

/** Modules a file may not reach, with the rule they break. */
function forbiddenReach(file: string, edges?: ReadonlyMap<string, string[]>): string[] {
  const reached = [...reach(file, edges)];
  if (file.startsWith("policy/"))
    return reached.filter(
      (m) =>
        m.startsWith("@pulumi/") ||
        m.startsWith("stacks/") ||
        (m.startsWith("components/") && !m.startsWith("components/core/")) ||
        m === "plan/harness.ts" ||
        m === "plan/plan.ts",
    );
  if (file.startsWith("plan/")) return reached.filter((m) => m.startsWith("stacks/"));
  return [];
}

describe("the import graph", () => {
  it("finds the project's modules and their imports", () => {
    expect(graph.size).toBeGreaterThan(30);
    expect(graph.get("stacks/platform.ts")).toContain("components/tenant-namespace.ts");
    expect(reach("stacks/registrar.ts")).toContain("@pulumi/pulumi");
  });

  it.each([...filesUnder("policy"), ...filesUnder("plan")])("%s stays within its layer", (file) => {
    expect(forbiddenReach(file)).toEqual([]);
  });

  it("would notice a policy module reaching the SDK, or the plan reaching a stack", () => {
    const edges = new Map(graph);
    edges.set("policy/rbac.ts", [
      ...(graph.get("policy/rbac.ts") ?? []),
      "stacks/platform.ts",
      "stacks/registrar.ts",
    ]);
    expect(forbiddenReach("policy/rbac.ts", edges)).toContain("@pulumi/pulumi");
    expect(forbiddenReach("policy/access.ts", edges)).toContain("stacks/platform.ts");
    edges.set("plan/access.ts", ["stacks/platform.ts"]);
    expect(forbiddenReach("plan/access.ts", edges)).toEqual(expect.arrayContaining(["stacks/platform.ts"]));
  });

  it.each(OFFLINE)("%s never reaches the Pulumi SDK (resources are data)", (file) => {
    expect([...reach(file)].filter((m) => m.startsWith("@pulumi/"))).toEqual([]);
  });

  it("only the registrar makes SDK resources: no other module imports a provider SDK", () => {
    const importers = [...graph.keys()].filter((f) => graph.get(f)!.some((m) => PROVIDER_SDK.test(m)));
    expect(importers).toEqual(["stacks/registrar.ts"]);
  });

  it("has no import circles", () => {
    expect(circles(graph)).toEqual([]);
  });

  it("would notice the SDK reached offline, a second registrar, and a circle", () => {
    const edges = new Map(graph);
    edges.set("components/tenant-dns.ts", [...graph.get("components/tenant-dns.ts")!, "@pulumi/cloudflare"]);
    expect([...reach("stacks/dns.ts", edges)]).toContain("@pulumi/cloudflare");
    edges.set("components/core/spec.ts", [...graph.get("components/core/spec.ts")!, "stacks/platform.ts"]);
    expect(circles(edges).length).toBeGreaterThan(0);
  });
});

/** The modules the offline commands load: everything but the registrar, the direct path and the engine's. */
const OFFLINE = [...graph.keys()].filter(
  (f) =>
    ["components/", "layers/", "policy/", "plan/", "portal/", "registry/", "stacks/"].some((d) =>
      f.startsWith(d),
    ) && !["stacks/registrar.ts", "stacks/direct.ts", "stacks/index.ts", "plan/harness.ts"].includes(f),
);
const PROVIDER_SDK = /^@pulumi\/(kubernetes|vault|cloudflare)/;

/** The import circles: each strongly connected set of modules larger than one (Tarjan's algorithm), sorted. */
function circles(edges: ReadonlyMap<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const connect = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) out.push(component.sort());
  };
  for (const v of edges.keys()) if (!index.has(v)) connect(v);
  return out;
}

/** Ways of building a stack name or reference by hand. */
const STACK_NAME_PATTERNS: [RegExp, string][] = [
  [/`\$\{[^`}]*\}-\$\{[^`}]*(layer|\.name)[^`}]*\}`/, "a template `${env}-${layer}`"],
  [/\+\s*"-"\s*\+/, 'a concatenation with "-"'],
  [/new\s+(pulumi\.)?StackReference\(/, "a StackReference"],
  [/\/tenancy\/\$\{/, "a `<org>/tenancy/<stack>` reference name"],
  [/\bfunction\s+stack(Name|ReferenceName)\b/, "a stack-name function"],
  [/"-(platform|vault|ci)"/, "a layer suffix"],
];

export function stackNameViolations(text: string): string[] {
  return STACK_NAME_PATTERNS.filter(([re]) => re.test(text)).map(([, what]) => what);
}

describe("stack identity", () => {
  const ALLOWED: Record<string, string[]> = {
    "layers/identity.ts": STACK_NAME_PATTERNS.map(([, what]) => what),
    // the one StackReference constructor, fed by the identity module
    "stacks/registrar.ts": ["a StackReference"],
  };

  it.each([...graph.keys()])("%s builds no stack name of its own", (file) => {
    const found = stackNameViolations(readFileSync(join(ROOT, file), "utf8"));
    expect(found.filter((v) => !(ALLOWED[file] ?? []).includes(v))).toEqual([]);
  });

  it("would notice each way of building one", () => {
    expect(stackNameViolations("const s = `${env}-${layer.name}`;")).toEqual([
      "a template `${env}-${layer}`",
    ]);
    expect(stackNameViolations('const s = env + "-" + layer;')).toEqual(['a concatenation with "-"']);
    expect(stackNameViolations("new pulumi.StackReference(`x`)")).toEqual(["a StackReference"]);
    expect(stackNameViolations("const s = `${org}/tenancy/${stack}`;")).toEqual([
      "a `<org>/tenancy/<stack>` reference name",
    ]);
    expect(stackNameViolations('const s = env.name.concat("-platform");')).toEqual(["a layer suffix"]);
  });
});
