/**
 * The tests never read the user's registry: the repository's `tenants/` and `environments/` are whatever the
 * user made of them (`tenancy onboard erin ...` adds a record), so every test uses its own copy of the example
 * (test/fixtures/example, test/helpers/cli.ts: EXAMPLE) except test/quick-start.test.ts, the README's quick
 * start, which plans the repository's registry whatever it holds.
 *
 * Two checks. A static one reads every test file for the ways a test reaches the repository's registry (a path
 * under the repository root, a path relative to the working directory, which is the repository under vitest,
 * the CLI run in the repository), and is itself tested on made-up snippets that it must and must not flag
 * (test/fixtures/registry-independence). An end-to-end one proves the independence the way a user would break
 * it: in a copy of the repository, `tenancy onboard erin` changes the registry, then test files that used to
 * read it run there and pass, and so does the quick start, while a control test that reads the registry fails.
 * And the same after `tenancy init` (a registry and environment of one's own replacing the example): init,
 * onboard, validate and plan pass in the copy, then the static check above, the quick start and a subset of the
 * test files (the whole `npm test` inside a test would be too slow for CI).
 */
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/cli";

/** The one test file allowed to read the repository's registry. */
const QUICK_START = "test/quick-start.test.ts";

interface Finding {
  /** 1-based line of the file. */
  line: number;
  /** What kind of reference it is. */
  rule: string;
  /** The line itself, trimmed. */
  text: string;
}

/** A path whose first segment is the registry directory or the environments directory. */
const REGISTRY_PATH = /^(?:\.\/)?(?:tenants|environments)(?:\/|$)/;
/** Names that stand for the repository root in the tests. */
const ROOT_NAMES = ["ROOT", "REPO", "REPO_ROOT", "PROJECT_ROOT"];
/** Calls whose first argument is a path (or, for join and resolve, the start of one). */
const PATH_CALLS =
  /\b(join|resolve|readFileSync|readFile|readdirSync|readdir|existsSync|statSync|lstatSync|cpSync|copyFileSync|openSync|loadYamlDocuments)\s*\(/g;
const SPAWN_CALLS = /\b(spawn|spawnSync|execFile|execFileSync|fork|exec|execSync)\s*\(/g;

/**
 * The text with comments blanked out, line by line (lines and positions kept): whole-line comments (`//`, and
 * the lines of a block comment starting with `/*` or `*`) and a trailing ` // ...` after code.
 */
function withoutComments(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      const trimmed = line.trimStart();
      if (/^(\/\/|\/\*|\*)/.test(trimmed)) return " ".repeat(line.length);
      const trailing = /\s\/\/\s.*$/.exec(line);
      return trailing ? line.slice(0, trailing.index) + " ".repeat(trailing[0].length) : line;
    })
    .join("\n");
}

/** The text of a call's arguments from just after its "(", up to the matching ")", strings skipped. */
function argumentsAt(text: string, start: number): { args: string[]; end: number } {
  const args: string[] = [];
  let depth = 0;
  let current = "";
  let i = start;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' || c === "'" || c === "`") {
      // a string: to its closing quote (template substitutions are kept as text)
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === "\\" ? 2 : 1;
      current += text.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === "(" || c === "[" || c === "{") depth++;
    if (c === ")" || c === "]" || c === "}") {
      if (depth === 0) break;
      depth--;
    }
    if (c === "," && depth === 0) {
      args.push(current.trim());
      current = "";
      continue;
    }
    current += c;
  }
  if (current.trim() !== "") args.push(current.trim());
  return { args, end: i };
}

/** A string literal's value (no substitutions), or the value of a constant the file declares as one. */
function stringValue(arg: string, constants: Map<string, string>): string | undefined {
  const literal = /^(["'`])((?:\\.|(?!\1)[^\\])*)\1$/s.exec(arg);
  if (literal && !(literal[1] === "`" && literal[2]!.includes("${"))) return literal[2];
  return /^[A-Za-z_$][\w$]*$/.test(arg) ? constants.get(arg) : undefined;
}

/**
 * Where a test file refers to the repository's `tenants/` or `environments/`: the directories under the
 * repository root (ROOT, a root of its own from __dirname, a template or a concatenation), listed and joined
 * with the root in a loop, named relative to the working directory (the repository under vitest), loaded in
 * this process with no root, or the CLI run in the repository (`cwd: ROOT`, a spawn of the entry point with no
 * working directory, `process.chdir(ROOT)`). Paths under test/fixtures are not references: the fixture is the
 * tests' own.
 */
function registryReferences(source: string): Finding[] {
  const text = withoutComments(source);
  const found: { index: number; rule: string }[] = [];
  const constants = new Map<string, string>();
  for (const m of text.matchAll(/\bconst\s+([A-Za-z_$][\w$]*)\s*=\s*(["'`])([^"'`$\n]*)\2/g))
    constants.set(m[1]!, m[3]!);
  // roots of the file's own: const X = join(__dirname, "..", ...) or = ROOT
  const roots = new Set(ROOT_NAMES);
  for (const m of text.matchAll(
    /\bconst\s+([A-Za-z_$][\w$]*)\s*=\s*(?:(?:join|resolve)\(\s*__dirname(?:\s*,\s*["']\.\.["'])*\s*\)|ROOT\b(?!\s*[,.(+]))/g,
  ))
    roots.add(m[1]!);
  const isRoot = (arg: string) => roots.has(arg) || arg === "__dirname";
  const rootAlternatives = [...roots].join("|");

  for (const call of text.matchAll(PATH_CALLS)) {
    const { args } = argumentsAt(text, call.index + call[0].length);
    const [first, ...rest] = args;
    if (first === undefined) continue;
    if ((call[1] === "join" || call[1] === "resolve") && isRoot(first)) {
      // join(ROOT, "tenants"), join(__dirname, "..", "..", "environments"), join(ROOT, ENV_SOURCE)
      const next = rest.find((a) => stringValue(a, constants) !== "..");
      const value = next === undefined ? undefined : stringValue(next, constants);
      if (value !== undefined && REGISTRY_PATH.test(value))
        found.push({ index: call.index, rule: "a registry path under the repository root" });
    } else if (REGISTRY_PATH.test(stringValue(first, constants) ?? "")) {
      found.push({ index: call.index, rule: "a registry path relative to the working directory" });
    }
  }
  // `${ROOT}/tenants`, ROOT + "/environments"
  const templated = new RegExp(
    `\\$\\{\\s*(?:${rootAlternatives})\\s*\\}\\/(?:tenants|environments)\\b|\\b(?:${rootAlternatives})\\s*\\+\\s*["'\`]\\/(?:tenants|environments)\\b`,
    "g",
  );
  for (const m of text.matchAll(templated))
    found.push({ index: m.index, rule: "a registry path under the repository root" });
  // for (const d of ["tenants", "environments"]) cpSync(join(ROOT, d), ...)
  const joinedWithName = new RegExp(
    `\\b(?:join|resolve)\\(\\s*(?:${rootAlternatives})\\s*,\\s*[A-Za-z_$][\\w$]*\\s*[,)]`,
  );
  for (const m of text.matchAll(/\[([^[\]]*)\]/g)) {
    const names = m[1]!.split(",").map((a) => stringValue(a.trim(), constants));
    if (!names.some((n) => n === "tenants" || n === "environments")) continue;
    const after = text.slice(m.index + m[0].length, m.index + m[0].length + 200);
    if (joinedWithName.test(after))
      found.push({ index: m.index, rule: "registry directories joined with the repository root" });
  }
  // the registry loaded in this process with no root, from a test that stays in the repository
  if (!/\bprocess\.chdir\(/.test(text)) {
    for (const call of text.matchAll(/\bloadRegistry\s*\(/g)) {
      const { args } = argumentsAt(text, call.index + call[0].length);
      if (args[0] !== undefined && args[0].startsWith("{") && !/\broot\b/.test(args[0]))
        found.push({ index: call.index, rule: "the registry loaded relative to the working directory" });
    }
  }
  // the CLI run in the repository
  const runsTheCli = /tenancy\.cjs|\brunCli(?:Async)?\b/.test(text);
  if (runsTheCli) {
    // an option (cwd: ROOT, cwd: opts.cwd ?? ROOT, cwd: process.cwd()) or a default (cwd = ROOT); not
    // `cwd = process.cwd()`, which
    // saves the directory to come back to
    const cwdRoot = new RegExp(
      `\\bcwd\\s*(?::\\s*(?:[^,}\\n]*\\?\\?\\s*)?(?:${rootAlternatives}|process\\.cwd\\(\\))|=\\s*(?:${rootAlternatives}))(?![\\w$])`,
      "g",
    );
    for (const m of text.matchAll(cwdRoot))
      found.push({ index: m.index, rule: "the CLI run in the repository" });
  }
  for (const call of text.matchAll(SPAWN_CALLS)) {
    const { args, end } = argumentsAt(text, call.index + call[0].length);
    const whole = text.slice(call.index, end);
    if (/tenancy\.cjs/.test(whole) && !args.some((a) => /\bcwd\b/.test(a)))
      found.push({ index: call.index, rule: "the CLI spawned in the test process's directory" });
  }
  for (const m of text.matchAll(new RegExp(`\\bprocess\\.chdir\\(\\s*(?:${rootAlternatives})\\s*\\)`, "g")))
    found.push({ index: m.index, rule: "the test process moved into the repository" });

  const lines = source.split("\n");
  return found
    .map(({ index, rule }) => {
      const line = text.slice(0, index).split("\n").length;
      return { line, rule, text: lines[line - 1]!.trim() };
    })
    .sort((a, b) => a.line - b.line);
}

/** The test files: every .ts under test/, as paths relative to the repository. */
function testFiles(dir = "test"): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) return testFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

/** The snippets of a fixture file: each starts with a line `// ---- <what it is>`. */
function snippets(file: string): { what: string; code: string }[] {
  const text = readFileSync(join(ROOT, "test", "fixtures", "registry-independence", file), "utf8");
  return text
    .split(/^\/\/ ---- /m)
    .filter((part) => part.trim() !== "")
    .map((part) => {
      const newline = part.indexOf("\n");
      return { what: part.slice(0, newline), code: part.slice(newline + 1) };
    });
}

describe("no test reads the repository's registry", () => {
  it("but the quick start: every other test file refers to test fixtures, never to tenants/ or environments/", () => {
    const files = testFiles();
    expect(files).toContain(QUICK_START);
    expect(files).toContain("test/helpers/cli.ts");
    const violations = files
      .filter((f) => f !== QUICK_START)
      .flatMap((f) =>
        registryReferences(readFileSync(join(ROOT, f), "utf8")).map(
          (v) => `${f}:${v.line}: ${v.rule}: ${v.text}`,
        ),
      );
    expect(violations).toEqual([]);
  });

  it("the quick start does read it, and the checker sees that", () => {
    const found = registryReferences(readFileSync(join(ROOT, QUICK_START), "utf8"));
    expect(found.map((f) => f.rule)).toContain("a registry path under the repository root");
    expect(found.map((f) => f.rule)).toContain("the CLI run in the repository");
  });

  it.each(snippets("violations.txt"))("the checker flags $what", ({ code }) => {
    expect(registryReferences(code)).not.toEqual([]);
  });

  it.each(snippets("clean.txt"))("the checker leaves alone $what", ({ code }) => {
    expect(registryReferences(code)).toEqual([]);
  });

  it("has snippets of every kind of reference it looks for", () => {
    const rules = new Set(
      snippets("violations.txt").flatMap(({ code }) => registryReferences(code).map((f) => f.rule)),
    );
    expect([...rules].sort()).toEqual([
      "a registry path relative to the working directory",
      "a registry path under the repository root",
      "registry directories joined with the repository root",
      "the CLI run in the repository",
      "the CLI spawned in the test process's directory",
      "the registry loaded relative to the working directory",
      "the test process moved into the repository",
    ]);
  });
});

/**
 * Test files that used to read the repository's registry: the example's tenants and their counts (validate,
 * the model), the CLI's diff in a copy of the registry, can-i on the example, and the direct Pulumi path, which
 * read the registry of the test process's working directory.
 */
const ONCE_DEPENDENT = [
  "test/registry/example.test.ts",
  "test/cli/diff.test.ts",
  "test/plan/can-i.test.ts",
  "test/deploy/direct.test.ts",
];
/**
 * A control: a test that does read the repository's registry (test/fixtures/registry-independence/
 * control.test.ts.txt, expecting the example's four records), which must fail once the registry changed.
 */
/** The environment of a user's shell, not of this test run, with no environment chosen beforehand. */
function userShellEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith("VITEST") && k !== "NODE_ENV" && k !== "TENANCY_ENV",
    ),
  );
}

/** Runs vitest in a copy of the repository on `args`, as a user's shell would, and reads its JSON report. */
function vitestIn(copy: string, args: string[]) {
  const report = join(copy, "vitest-report.json");
  const run = spawnSync(
    process.execPath,
    [
      join(copy, "node_modules", "vitest", "vitest.mjs"),
      "run",
      ...args,
      "--reporter=json",
      `--outputFile=${report}`,
    ],
    { cwd: copy, env: userShellEnv(), encoding: "utf8", timeout: 150_000 },
  );
  expect(existsSync(report), `vitest wrote no report: ${run.stderr.slice(-3000)}`).toBe(true);
  const results = (
    JSON.parse(readFileSync(report, "utf8")) as {
      testResults: {
        name: string;
        status: string;
        message: string;
        assertionResults: { fullName: string; status: string; failureMessages: string[] }[];
      }[];
    }
  ).testResults;
  return { run, results };
}

const CONTROL = "test/registry-control.test.ts";

describe("a user's own registry", () => {
  it("leaves the tests green: onboard erin in a copy of the repository, then run tests that once read tenants/", () => {
    const copy = mkdtempSync(join(tmpdir(), "tenancy-registry-independence-"));
    try {
      // the repository as a user has it, without its dependencies (linked) and git's objects
      cpSync(ROOT, copy, {
        recursive: true,
        filter: (src) => !["node_modules", ".git"].includes(relative(ROOT, src).split("/")[0]!),
      });
      symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
      const onboard = spawnSync(
        process.execPath,
        [join(copy, "bin", "tenancy.cjs"), "onboard", "erin", "--email", "erin@example.com"],
        { cwd: copy, encoding: "utf8" },
      );
      expect(onboard.status, onboard.stderr).toBe(0);
      expect(existsSync(join(copy, "tenants", "erin.yaml"))).toBe(true);
      cpSync(
        join(copy, "test", "fixtures", "registry-independence", "control.test.ts.txt"),
        join(copy, CONTROL),
      );

      const { run, results } = vitestIn(copy, [...ONCE_DEPENDENT, QUICK_START, CONTROL]);
      const byFile = Object.fromEntries(results.map((r) => [relative(copy, r.name), r.status]));
      const failures = results
        .filter((r) => relative(copy, r.name) !== CONTROL && r.status !== "passed")
        .flatMap((r) => [
          `${relative(copy, r.name)}: ${r.message}`,
          ...r.assertionResults
            .filter((a) => a.status === "failed")
            .map((a) => `  ${a.fullName}: ${a.failureMessages[0]?.split("\n")[0]}`),
        ])
        .join("\n");
      expect(byFile, failures || run.stderr.slice(-3000)).toEqual({
        ...Object.fromEntries([...ONCE_DEPENDENT, QUICK_START].map((f) => [f, "passed"])),
        [CONTROL]: "failed",
      });
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 180_000);
});

/** The test files `tenancy init`'s case runs in the copy: the static check (this file, less its copies), and some. */
const AFTER_INIT = [
  "test/registry-independence.test.ts",
  QUICK_START,
  "test/registry/example.test.ts",
  "test/plan/can-i.test.ts",
  "test/pipelines.test.ts",
];

describe("a registry of one's own", () => {
  it("tenancy init --replace-example, onboard, validate and plan in a copy of the repository; the tests stay green", () => {
    const copy = mkdtempSync(join(tmpdir(), "tenancy-init-independence-"));
    try {
      cpSync(ROOT, copy, {
        recursive: true,
        filter: (src) => !["node_modules", ".git"].includes(relative(ROOT, src).split("/")[0]!),
      });
      symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
      const env = userShellEnv();
      const tenancy = (...args: string[]) => {
        const r = spawnSync(process.execPath, [join(copy, "bin", "tenancy.cjs"), ...args], {
          cwd: copy,
          env,
          encoding: "utf8",
        });
        expect(r.status, `tenancy ${args.join(" ")}: ${r.stderr}`).toBe(0);
        return r.stdout;
      };
      tenancy(
        "init",
        "--env",
        "prod",
        "--replace-example",
        "--tenant",
        "platform",
        "--email",
        "platform@acme.test",
        "--zone",
        "acme.test=0123456789abcdef0123456789abcdef",
        "--oidc-issuer",
        "https://sso.acme.test",
        "--vault-address",
        "https://vault.acme.test:8200",
        "--admins",
        "@acme/platform-admins",
      );
      expect(readdirSync(join(copy, "tenants"))).toEqual(["platform.yaml"]);
      expect(readdirSync(join(copy, "environments"))).toEqual(["prod.yaml"]);
      expect(readFileSync(join(copy, "tenancy.yaml"), "utf8")).toMatch(/^env: prod$/m);
      tenancy("onboard", "erin", "--email", "erin@acme.test", "--domain", "erin.acme.test");
      // the environment chosen once: no --env from here on
      expect(tenancy("validate")).toMatch(/^valid: 2 tenants, .*environment prod/);
      expect(tenancy("plan").split("\n")[0]).toBe("environment prod: 2 tenants");

      const { run, results } = vitestIn(copy, [
        ...AFTER_INIT,
        // not the end-to-end cases of this file: they would copy the copy
        "--testNamePattern",
        "^(?!a user's own registry|a registry of one's own)",
      ]);
      const failures = results
        .flatMap((r) =>
          r.assertionResults
            .filter((a) => a.status === "failed")
            .map((a) => `${relative(copy, r.name)}: ${a.fullName}: ${a.failureMessages[0]?.split("\n")[0]}`),
        )
        .join("\n");
      expect(
        Object.fromEntries(results.map((r) => [relative(copy, r.name), r.status])),
        failures || run.stderr.slice(-3000),
      ).toEqual(Object.fromEntries(AFTER_INIT.map((f) => [f, "passed"])));
      // the static check did run there
      const scan = results.find((r) => relative(copy, r.name) === "test/registry-independence.test.ts")!;
      expect(scan.assertionResults.filter((a) => a.status === "passed").length).toBeGreaterThan(10);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 240_000);
});
