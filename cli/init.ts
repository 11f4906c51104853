/**
 * `tenancy init`: a registry and environment of one's own (ARCHITECTURE.md, "Command line"): an environment
 * `environments/<env>.yaml` from the template registry/init-environment.yaml with the values given (by flags,
 * or asked on a terminal), `tenants/` with a first record (an empty registry is refused as a likely wrong
 * --registry; more with `tenancy onboard`), and `tenancy.yaml` naming the environment
 * once, so every command (and the pipelines) use it without --env. In the repository's `tenants/` and
 * `environments/` (the example's records are removed only with --replace-example) or in a directory of one's
 * choice (--dir). Nothing is written unless the environment validates.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { parseDocument } from "yaml";
import { InvalidInputError, UsageError } from "../components/core/problems";
import { checkEnvName, isLabel } from "../components/core/schema";
import { loadRegistry } from "../registry/load";
import { renderRecord } from "../registry/records";
import { CONFIG_FILE, readConfig } from "./options";

const PACKAGE = resolve(__dirname, "..");
const TEMPLATE = join(PACKAGE, "registry", "init-environment.yaml");
const EXAMPLE_ENV = "example";

const collect = (value: string, previous: string[]) => [...previous, value];

interface InitOptions {
  env?: string;
  tenant?: string;
  email?: string;
  dir: string;
  replaceExample?: boolean;
  description?: string;
  context?: string;
  server?: string;
  zone: string[];
  oidcIssuer?: string;
  oidcClientId?: string;
  oidcAccessor?: string;
  vaultAddress?: string;
  admins?: string;
  yes?: boolean;
  json?: boolean;
}

/** `name=id` of a Cloudflare zone. */
function parseZone(spec: string): [string, string] {
  const m = /^([^=\s]+)=([^=\s]+)$/.exec(spec);
  if (!m) throw new UsageError(`--zone ${JSON.stringify(spec)}: expected <zone>=<cloudflare zone id>`);
  return [m[1]!, m[2]!];
}

/** Asks on the terminal for what the flags did not give (@inquirer/prompts). */
async function ask(opts: InitOptions): Promise<InitOptions> {
  const { input } = await import("@inquirer/prompts");
  const env = await input({
    message: "Environment name (environments/<name>.yaml)",
    default: opts.env ?? "prod",
    validate: (v) => isLabel(v) || "lowercase letters, digits and dashes",
  });
  const context = await input({
    message: "kubeconfig context of the default cluster",
    default: opts.context ?? `${env}-admin`,
  });
  const server = await input({ message: "its API server URL (optional)", default: opts.server ?? "" });
  const zones = await input({
    message: "DNS zones as zone=cloudflare-zone-id, separated by spaces (optional)",
    default: opts.zone.join(" "),
  });
  const tenant = await input({
    message: "The first tenant's id (tenants/<id>.yaml; your own team, say)",
    default: opts.tenant ?? "platform",
    validate: (v) => isLabel(v) || "lowercase letters, digits and dashes",
  });
  const email = await input({ message: "its OIDC identity (email)", default: opts.email ?? "" });
  const oidcIssuer = await input({ message: "OIDC issuer URL", default: opts.oidcIssuer ?? "" });
  const oidcAccessor = await input({
    message: "Vault OIDC auth mount accessor",
    default: opts.oidcAccessor ?? "",
  });
  const vaultAddress = await input({ message: "Vault address", default: opts.vaultAddress ?? "" });
  const admins = await input({
    message: "platform admins for CODEOWNERS (e.g. @my-org/platform-admins)",
    default: opts.admins ?? "",
  });
  const given = (v: string) => (v.trim() === "" ? undefined : v.trim());
  return {
    ...opts,
    env,
    tenant,
    email: given(email),
    context,
    server: given(server),
    zone: zones.split(/\s+/).filter(Boolean),
    oidcIssuer: given(oidcIssuer),
    oidcAccessor: given(oidcAccessor),
    vaultAddress: given(vaultAddress),
    admins: given(admins),
  };
}

/** The environment file's text: the template with the values given. */
export function environmentText(opts: InitOptions & { env: string }, schemaPath: string): string {
  const doc = parseDocument(readFileSync(TEMPLATE, "utf8"));
  doc.set("description", opts.description ?? `The ${opts.env} platform`);
  doc.setIn(["clusters", 0, "context"], opts.context ?? `${opts.env}-admin`);
  if (opts.server) doc.setIn(["clusters", 0, "server"], opts.server);
  for (const [zone, id] of opts.zone.map(parseZone)) doc.setIn(["dns", "zones", zone], id);
  if (opts.oidcIssuer) doc.setIn(["oidc", "issuerUrl"], opts.oidcIssuer);
  if (opts.oidcClientId) doc.setIn(["oidc", "clientId"], opts.oidcClientId);
  if (opts.oidcAccessor) doc.setIn(["oidc", "vaultMountAccessor"], opts.oidcAccessor);
  if (opts.vaultAddress) doc.setIn(["vault", "address"], opts.vaultAddress);
  if (opts.admins) doc.setIn(["codeowners", "admins"], doc.createNode(opts.admins.split(/[\s,]+/)));
  return doc
    .toString({ lineWidth: 0 })
    .replace(/^# yaml-language-server: \$schema=\S+/, `# yaml-language-server: $schema=${schemaPath}`);
}

const records = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)) : []);

export function initCommand(program: Command): void {
  program
    .command("init")
    .description(
      "a registry and environment of your own: environments/<env>.yaml, tenants/ with a first tenant (more with tenancy onboard), and tenancy.yaml naming the environment once; asks on a terminal for what the flags do not give",
    )
    .option("--env <name>", "the environment's name (environments/<name>.yaml)")
    .option("--tenant <id>", "the first tenant's id: tenants/<id>.yaml (more with tenancy onboard)")
    .option("--email <email>", "the first tenant's OIDC identity")
    .option("--dir <dir>", "where to write tenants/, environments/ and tenancy.yaml", ".")
    .option(
      "--replace-example",
      "remove the example's records from tenants/ and environments/example.yaml (without it, init refuses a tenants/ that holds records)",
    )
    .option("--description <text>", "a line saying what the platform is")
    .option("--context <ctx>", "kubeconfig context of the default cluster (default: <env>-admin)")
    .option("--server <url>", "the default cluster's API server URL")
    .option("--zone <zone=id>", "a DNS zone and its Cloudflare zone id (repeat)", collect, [])
    .option("--oidc-issuer <url>", "the OIDC issuer URL")
    .option("--oidc-client-id <id>", "the OIDC client id (default: kubernetes)")
    .option("--oidc-accessor <accessor>", "Vault's OIDC auth mount accessor")
    .option("--vault-address <url>", "Vault's address")
    .option("--admins <accounts>", "platform admins' git accounts or team for CODEOWNERS (comma separated)")
    .option("--yes", "ask nothing, even on a terminal: the flags and the template's values")
    .option("--json", "what was written, on stdout")
    .action(async (given: InitOptions) => {
      const interactive =
        !given.yes &&
        given.env === undefined &&
        process.stdin.isTTY === true &&
        process.stdout.isTTY === true;
      let opts = given;
      if (interactive) {
        try {
          opts = await ask(given);
        } catch (e) {
          // Ctrl-C or the end of input at a prompt
          if ((e as Error).name === "ExitPromptError")
            throw new UsageError("init cancelled: nothing was written");
          throw e;
        }
      }
      if (opts.env === undefined)
        throw new UsageError("--env <name> is required (or run tenancy init on a terminal to be asked)");
      const env = opts.env;
      if (opts.tenant === undefined || opts.email === undefined)
        throw new UsageError(
          "--tenant <id> and --email <email> are required: the registry's first tenant (your own team, say)",
        );
      const tenant = opts.tenant;
      if (!isLabel(tenant))
        throw new UsageError(
          `--tenant ${JSON.stringify(tenant)} is not a valid tenant id (lowercase letters, digits and dashes)`,
        );
      checkEnvName(env);
      opts.zone.forEach(parseZone);
      const root = resolve(opts.dir);
      const tenantsDir = join(root, "tenants");
      const envDir = join(root, "environments");
      const envPath = join(envDir, `${env}.yaml`);
      const configPath = join(root, CONFIG_FILE);
      const show = (p: string) => relative(".", p) || ".";

      // refusals first: nothing is written unless all is well
      if (existsSync(envPath))
        throw new UsageError(`${show(envPath)} exists already: choose another --env, or edit it`);
      const existing = records(tenantsDir);
      if (existing.length > 0 && !opts.replaceExample)
        throw new UsageError(
          `${show(tenantsDir)} holds ${existing.length} records (${existing.join(", ")}): ` +
            "--replace-example removes them (the example's), or --dir <dir> writes a registry elsewhere",
        );
      const config = readConfig(root);
      if (config.env !== undefined && config.env !== env && !opts.replaceExample)
        throw new UsageError(
          `${show(configPath)} names environment ${config.env} already: edit it, or --replace-example`,
        );

      const schema = relative(envDir, join(PACKAGE, "schema", "environment.schema.json"));
      const text = environmentText({ ...opts, env }, schema);
      const record = renderRecord(
        { email: opts.email, namespaces: [], domains: [], members: [] },
        relative(tenantsDir, join(PACKAGE, "schema", "tenant.schema.json")),
      );
      const recordPath = join(tenantsDir, `${tenant}.yaml`);
      // the environment and the first record validated before anything is written
      const scratch = mkdtempSync(join(tmpdir(), "tenancy-init-"));
      try {
        mkdirSync(join(scratch, "environments"));
        mkdirSync(join(scratch, "tenants"));
        writeFileSync(join(scratch, "environments", `${env}.yaml`), text);
        writeFileSync(join(scratch, "tenants", `${tenant}.yaml`), record);
        await loadRegistry({ env, root: scratch, source: { kind: "yaml", dir: join(scratch, "tenants") } });
      } catch (e) {
        // the problems named by the files they will be written to
        if (e instanceof InvalidInputError)
          throw new InvalidInputError(
            e.problems.map((p) => ({
              ...p,
              source: p.source
                .replace(join(scratch, "tenants"), show(tenantsDir))
                .replace(join(scratch, "environments"), show(envDir)),
            })),
          );
        throw e;
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }

      const removed: string[] = [];
      if (opts.replaceExample) {
        for (const f of existing) {
          rmSync(join(tenantsDir, f));
          removed.push(show(join(tenantsDir, f)));
        }
        const example = join(envDir, `${EXAMPLE_ENV}.yaml`);
        if (env !== EXAMPLE_ENV && existsSync(example)) {
          rmSync(example);
          removed.push(show(example));
        }
      }
      mkdirSync(tenantsDir, { recursive: true });
      mkdirSync(envDir, { recursive: true });
      writeFileSync(envPath, text, { flag: "wx" });
      writeFileSync(recordPath, record, { flag: "wx" });
      writeFileSync(
        configPath,
        `# the environment every tenancy command uses without --env (TENANCY_ENV overrides it)\nenv: ${env}\n`,
      );
      const wrote = [show(envPath), show(recordPath), show(configPath)];
      const cd = root === resolve(".") ? "" : `cd ${show(root)} && `;
      if (opts.json) {
        process.stdout.write(JSON.stringify({ ok: true, env, wrote, removed }, null, 2) + "\n");
        return;
      }
      for (const r of removed) console.log(`removed ${r}`);
      console.log(
        `wrote ${wrote.join(", ")}: environment ${env}.\n` +
          `Next: review ${show(envPath)} (clusters, DNS zones, OIDC, Vault), then\n` +
          `  ${cd}npx tenancy onboard <id> --email <email>    # the next tenant\n` +
          `  ${cd}npx tenancy validate && npx tenancy plan`,
      );
    });
}
