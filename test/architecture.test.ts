/**
 * The code's shape, as ARCHITECTURE.md describes it, checked on the source itself:
 * - policy/ is plain data: it reaches neither the Pulumi SDK nor stacks/ or plan/;
 * - one folder per concern under components/, over a core that imports nothing of the project: a concern
 *   imports the core, the registry's model, policy/ and, sideways, only the concerns its README declares (`Uses:`);
 * - plan/ never imports a stack module (layer programs are passed in);
 * - resources are data: components/ and the layer programs specify resources without the Pulumi SDK, the
 *   registrar (stacks/registrar.ts) is the only module that makes SDK resources, and no offline command's
 *   modules reach the SDK;
 * - no import circles;
 * - stack names, StackReference names and the project are made in layers/identity.ts only.
 * Each check is also run on a made-up violation, so it can fail.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
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
  // side-effect imports (`import "./x";`)
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+"([^"]+)"/g)) specs.push(m[1]!);
  return specs;
}

/** A relative import resolved to a project path (`components/members/rbac.ts`); packages stay as they are. */
function resolveImport(from: string, spec: string): string {
  if (!spec.startsWith(".")) return spec;
  const path = relative(ROOT, resolve(ROOT, dirname(from), spec));
  // a folder (`..`, `./components`) is its index module
  return existsSync(join(ROOT, path)) && statSync(join(ROOT, path)).isDirectory()
    ? join(path, "index.ts")
    : `${path}.ts`;
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
        m === "plan/harness.ts" ||
        m === "plan/plan.ts",
    );
  if (file.startsWith("plan/")) return reached.filter((m) => m.startsWith("stacks/"));
  return [];
}

/** The concerns: every folder under components/ but the core, with the concerns it declares it uses. */
const CONCERNS = new Map(
  readdirSync(join(ROOT, "components"))
    .filter((d) => d !== "core" && statSync(join(ROOT, "components", d)).isDirectory())
    .map((d) => [d, declaredUses(readFileSync(join(ROOT, "components", d, "README.md"), "utf8"))] as const),
);

/** The `Uses:` line of a concern's README: the other concerns it may import. */
function declaredUses(readme: string): string[] {
  const line = /^Uses: (.*)$/m.exec(readme)?.[1];
  if (line === undefined)
    throw new Error("a concern's README must say what it uses (`Uses: a, b` or `Uses: (the core only)`)");
  return line.startsWith("(") ? [] : line.split(",").map((u) => u.trim());
}

/** What a module under components/ imports that its concern may not: another concern not declared, or a layer above. */
function concernViolations(file: string, edges: ReadonlyMap<string, string[]> = graph): string[] {
  const concern = file.split("/")[1]!;
  const imports = edges.get(file) ?? [];
  if (concern === "core")
    return imports.filter(
      (m) => !m.startsWith("components/core/") && /^[a-z]+\//.test(m) && !m.startsWith("@"),
    );
  const allowed = new Set(CONCERNS.get(concern) ?? []);
  return imports.filter((m) => {
    if (m.startsWith("components/")) {
      const other = m.split("/")[1]!;
      return other !== "core" && other !== concern && !allowed.has(other);
    }
    return ["stacks/", "plan/", "deploy/", "cli/", "portal/"].some((d) => m.startsWith(d));
  });
}

describe("the import graph", () => {
  it("finds the project's modules and their imports", () => {
    expect(graph.size).toBeGreaterThan(30);
    expect(graph.get("stacks/platform.ts")).toContain("components/namespace/layer.ts");
    expect(reach("stacks/registrar.ts")).toContain("@pulumi/pulumi");
  });

  it.each([...filesUnder("policy"), ...filesUnder("plan")])("%s stays within its layer", (file) => {
    expect(forbiddenReach(file)).toEqual([]);
  });

  it("would notice a policy module reaching the SDK, or the plan reaching a stack", () => {
    const edges = new Map(graph);
    edges.set("components/members/rbac.ts", [
      ...(graph.get("components/members/rbac.ts") ?? []),
      "stacks/platform.ts",
      "stacks/registrar.ts",
    ]);
    expect(forbiddenReach("policy/access.ts", edges)).toContain("@pulumi/pulumi");
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

  it.each(filesUnder("components"))("%s imports the core and only what its concern declares", (file) => {
    expect(concernViolations(file)).toEqual([]);
  });

  it("every folder under components/ is a concern with a README that declares what it uses", () => {
    expect([...CONCERNS.keys()].sort()).toEqual(
      expect.arrayContaining(["admission", "apps", "ci", "clusters", "dns", "members", "namespace", "vault"]),
    );
    for (const [concern, uses] of CONCERNS)
      for (const u of uses) expect(CONCERNS.has(u), `${concern} uses ${u}`).toBe(true);
  });

  it("would notice a concern importing one it does not declare, and the core importing a concern", () => {
    const edges = new Map(graph);
    edges.set("components/dns/specs.ts", [
      ...graph.get("components/dns/specs.ts")!,
      "components/vault/policy.ts",
    ]);
    expect(concernViolations("components/dns/specs.ts", edges)).toEqual(["components/vault/policy.ts"]);
    edges.set("components/core/spec.ts", ["components/dns/policy.ts"]);
    expect(concernViolations("components/core/spec.ts", edges)).toEqual(["components/dns/policy.ts"]);
  });

  it("has no import circles", () => {
    expect(circles(graph)).toEqual([]);
  });

  it("would notice the SDK reached offline, a second registrar, and a circle", () => {
    const edges = new Map(graph);
    edges.set("components/dns/specs.ts", [...graph.get("components/dns/specs.ts")!, "@pulumi/cloudflare"]);
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
