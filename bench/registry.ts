/**
 * Registry load + validate benchmark: `npm run bench [-- --tenants N --baseline B --runs R]`.
 *
 * Generates N varied tenants (several namespaces with quotas, domains under the example zones, members
 * inviting other tenants, apps, CI) as YAML files in a temp dir next to a copy of the example
 * environment, then measures the real `loadRegistry` (read, parse, schema, cross-tenant rules) in a
 * fresh child process per size, so each size has its own peak memory. The baseline size is measured in
 * the same run; the ratio of time per tenant (N vs baseline) shows whether the work grows linearly.
 *
 * `--runs R`: R warm runs after the first (cold) one, per size (default 3). Also times the real CLI,
 * `tenancy validate`, end to end on the largest registry, start-up included.
 *
 * A script that prints, not a timed test.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PLAN_NODE_OPTIONS } from "../bin/node-options.cjs";
import { loadRegistry } from "../registry/load";
import { summarise } from "../registry/model";
import { InvalidInputError, formatProblem } from "../components/core/problems";
import { loadYamlDocuments } from "../registry/source-yaml";
import { buildRegistry } from "../registry/validate";
import { parse } from "yaml";
import { ROOT, arg } from "./generated";

const REPO = join(__dirname, "..");

interface Measurement {
  tenants: number;
  namespaces: number;
  domains: number;
  members: number;
  /** loadRegistry wall time of the first run in a fresh process (what the CLI sees), ms */
  coldMs: number;
  /** loadRegistry wall time of each later run, ms */
  runs: number[];
  /** CPU time (user + system) of each later run, ms: less disturbed by other work on the machine */
  cpuRuns: number[];
  /** the phases of one extra run: reading + parsing YAML, then schema + cross-tenant rules */
  readParseMs: number;
  validateMs: number;
  /** process.resourceUsage().maxRSS, KiB */
  maxRssKiB: number;
  /** heap in use after a GC with the model retained, bytes */
  heapRetained: number;
  /** heap in use before loading, after a GC, bytes */
  heapBefore: number;
}

const id = (i: number) => `t${String(i).padStart(6, "0")}`;

/** One tenant file: varied, and valid against the example environment. */
function tenantYaml(i: number, n: number): string {
  const me = id(i);
  const team = i % 10 === 0;
  const lines = [`email: ${me}@example.com`, `displayName: Tenant ${i}`];
  if (team) lines.push("role: power-user", "tier: team");
  // namespaces: 2 or 3, with quotas inside the tier maximum and, summed, inside the tier budget
  lines.push("namespaces:");
  lines.push(`  - name: ${me}`, "    quota:", '      requests.cpu: "2"', "      requests.memory: 4Gi");
  if (!team) lines.push("      limits.memory: 8Gi");
  lines.push(`  - name: ${me}-dev`, "    limits:", "      default:", "        cpu: 250m");
  if (i % 3 === 0) lines.push(`  - ${me}-ci`);
  // domains: under both example zones, some nested inside the tenant's own
  lines.push("domains:", `  - ${me}.example.com`);
  if (i % 2 === 0) lines.push(`  - api.${me}.example.com`);
  if (i % 5 === 0) lines.push(`  - ${me}.example.org`);
  // members: other tenants invited, some into one namespace only
  if (n > 1) {
    lines.push(
      "members:",
      `  - tenant: ${id((i + 1) % n)}`,
      "    role: developer",
      `    namespaces: [${me}-dev]`,
    );
    if (n > 7 && (i + 7) % n !== (i + 1) % n && (i + 7) % n !== i)
      lines.push(`  - tenant: ${id((i + 7) % n)}`, "    role: viewer");
  }
  // apps
  if (i % 3 === 0 || i % 4 === 0) lines.push("apps:");
  if (i % 3 === 0) lines.push("  - name: jupyter", "    settings:", "      storage: 20Gi");
  if (i % 4 === 0) lines.push("  - name: code-server", `    enabled: ${i % 8 === 0}`);
  if (team)
    lines.push("ci:", "  boundClaims:", `    repository_owner: ${me}-org`, `    repository_owner_id: "${i}"`);
  if (i % 97 === 0) lines.push("offboarding: true");
  return `${lines.join("\n")}\n`;
}

function generate(dir: string, n: number): void {
  mkdirSync(join(dir, "environments"), { recursive: true });
  mkdirSync(join(dir, "tenants"), { recursive: true });
  copyFileSync(join(ROOT, "environments", "example.yaml"), join(dir, "environments", "example.yaml"));
  for (let i = 0; i < n; i++) writeFileSync(join(dir, "tenants", `${id(i)}.yaml`), tenantYaml(i, n));
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** In the child process: measure one registry directory. */
async function measure(dir: string, runs: number): Promise<Measurement> {
  const opts = { env: "example", root: dir, source: { kind: "yaml" as const, dir: join(dir, "tenants") } };
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const times: number[] = [];
  const cpu: number[] = [];
  let model: Awaited<ReturnType<typeof loadRegistry>> | undefined;
  for (let r = 0; r <= runs; r++) {
    model = undefined;
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    try {
      model = await loadRegistry(opts);
    } catch (e) {
      if (e instanceof InvalidInputError) {
        console.error(e.problems.slice(0, 10).map(formatProblem).join("\n"));
        console.error(`the generated registry is invalid (${e.problems.length} problems)`);
        process.exit(1);
      }
      throw e;
    }
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  gc();
  const heapRetained = process.memoryUsage().heapUsed - heapBefore;
  const s = summarise(model!);
  // the phases, once more
  const env = parse(readFileSync(join(dir, "environments", "example.yaml"), "utf8"));
  const t0 = process.hrtime.bigint();
  const docs = loadYamlDocuments(join(dir, "tenants"));
  const t1 = process.hrtime.bigint();
  buildRegistry({ name: "example", source: "environments/example.yaml", data: env }, docs);
  const t2 = process.hrtime.bigint();
  return {
    coldMs: times[0]!,
    runs: times.slice(1),
    cpuRuns: cpu.slice(1),
    tenants: s.tenants,
    namespaces: s.namespaces,
    domains: s.domains,
    members: s.members,
    readParseMs: Number(t1 - t0) / 1e6,
    validateMs: Number(t2 - t1) / 1e6,
    maxRssKiB: process.resourceUsage().maxRSS,
    heapRetained,
    heapBefore,
  };
}

/** In the parent: measure a size in a fresh child process (its own peak memory, its own JIT). */
function measureInChild(dir: string, runs: number): Measurement {
  const r = spawnSync(
    process.execPath,
    // with the V8 options the CLI runs with (bin/node-options.cjs)
    [
      ...PLAN_NODE_OPTIONS,
      ...process.execArgv,
      "--expose-gc",
      __filename,
      "--measure",
      dir,
      "--runs",
      String(runs),
    ],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    throw new Error(`measuring ${dir} failed (exit ${r.status})`);
  }
  return JSON.parse(r.stdout) as Measurement;
}

const ms = (x: number) => `${x.toFixed(0)} ms`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const measureAt = process.argv.indexOf("--measure");
  if (measureAt >= 0) {
    const m = await measure(process.argv[measureAt + 1]!, arg("runs", 3));
    process.stdout.write(JSON.stringify(m));
    return;
  }
  const n = arg("tenants", 10_000);
  const base = arg("baseline", Math.max(2, Math.min(1_000, Math.floor(n / 10))));
  const runs = arg("runs", 3);
  const root = mkdtempSync(join(tmpdir(), "tenancy-bench-"));
  try {
    const rows: [string, Measurement][] = [];
    // one tenant (an empty registry is refused): the fixed cost (environment, schemas) and the process's own memory
    for (const size of [1, base, n]) {
      const dir = join(root, `r${size}`);
      const t0 = Date.now();
      generate(dir, size);
      console.log(`generated ${size} tenants in ${((Date.now() - t0) / 1000).toFixed(1)} s (${dir})`);
      rows.push([String(size), measureInChild(dir, runs)]);
    }
    // the real command line, end to end, start-up included
    const t0 = Date.now();
    const cli = spawnSync(process.execPath, [join(REPO, "bin", "tenancy.cjs"), "validate"], {
      cwd: join(root, `r${n}`),
      encoding: "utf8",
    });
    const cliMs = Date.now() - t0;
    console.log(
      `\nloadRegistry (read + parse + schema + cross-tenant rules): the first run in a fresh process (cold), ` +
        `then the median of ${runs} more (warm), split into its phases:`,
    );
    console.log(
      [
        "tenants".padStart(8),
        "nss".padStart(7),
        "domains".padStart(8),
        "members".padStart(8),
        "cold".padStart(9),
        "warm".padStart(9),
        "warm cpu".padStart(9),
        "read+parse".padStart(11),
        "validate".padStart(9),
        "µs/tenant".padStart(10),
        "maxRSS".padStart(10),
        "heap kept".padStart(10),
      ].join(" "),
    );
    for (const [, m] of rows) {
      console.log(
        [
          String(m.tenants).padStart(8),
          String(m.namespaces).padStart(7),
          String(m.domains).padStart(8),
          String(m.members).padStart(8),
          ms(m.coldMs).padStart(9),
          ms(median(m.runs)).padStart(9),
          ms(median(m.cpuRuns)).padStart(9),
          ms(m.readParseMs).padStart(11),
          ms(m.validateMs).padStart(9),
          (m.tenants ? ((median(m.runs) * 1000) / m.tenants).toFixed(0) : "-").padStart(10),
          mib(m.maxRssKiB * 1024).padStart(10),
          mib(m.heapRetained).padStart(10),
        ].join(" "),
      );
    }
    const [empty, b, big] = rows.map(([, m]) => m) as [Measurement, Measurement, Measurement];
    // time per tenant net of the fixed cost (the one-tenant registry's), and memory net of the process itself
    const fixed = median(empty.runs);
    const extraB = b.tenants - empty.tenants;
    const extraN = big.tenants - empty.tenants;
    const perB = (median(b.runs) - fixed) / extraB;
    const perN = (median(big.runs) - fixed) / extraN;
    const cpuB = (median(b.cpuRuns) - median(empty.cpuRuns)) / extraB;
    const cpuN = (median(big.cpuRuns) - median(empty.cpuRuns)) / extraN;
    const coldB = (b.coldMs - empty.coldMs) / extraB;
    const coldN = (big.coldMs - empty.coldMs) / extraN;
    console.log(
      `\nscaling: time per tenant at ${n} vs ${base} = ${(perN / perB).toFixed(2)}x warm ` +
        `(${(perN * 1000).toFixed(0)} vs ${(perB * 1000).toFixed(0)} µs, fixed cost ${ms(fixed)}), ` +
        `${(cpuN / cpuB).toFixed(2)}x in CPU time (${(cpuN * 1000).toFixed(0)} vs ${(cpuB * 1000).toFixed(0)} µs), ` +
        `${(coldN / coldB).toFixed(2)}x cold (${(coldN * 1000).toFixed(0)} vs ${(coldB * 1000).toFixed(0)} µs); 1.00 is linear`,
    );
    const rssPerN = ((big.maxRssKiB - empty.maxRssKiB) * 1024) / extraN;
    const rssPerB = ((b.maxRssKiB - empty.maxRssKiB) * 1024) / extraB;
    console.log(
      `memory: peak RSS ${mib(big.maxRssKiB * 1024)} at ${n} tenants (${(rssPerN / 1024).toFixed(1)} KiB/tenant ` +
        `above the one-tenant registry's ${mib(empty.maxRssKiB * 1024)}; ${(rssPerB / 1024).toFixed(1)} KiB/tenant at ${base}); ` +
        `model kept ${mib(big.heapRetained)} of heap`,
    );
    const t1 = Date.now();
    spawnSync(process.execPath, [join(REPO, "bin", "tenancy.cjs"), "--help"], { encoding: "utf8" });
    const startupMs = Date.now() - t1;
    console.log(
      `cli: \`tenancy validate\` on ${n} tenants took ${ms(cliMs)} end to end, of which start-up ` +
        `(\`tenancy --help\`) ${ms(startupMs)}; exit ${cli.status}: ${cli.stdout.trim() || cli.stderr.trim().split("\n")[0]}`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
