/**
 * `tenancy onboard` and `tenancy offboard`: write a tenant record, or set phase one of its removal, for a pull
 * request against the registry. The registry as it would be with the change is validated first; nothing is
 * written when it would be invalid, and a record is never overwritten.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { loadRegistry } from "../registry/load";
import { type TenantDocument, descendants } from "../registry/model";
import { parseYaml } from "../registry/parse";
import { UsageError } from "../components/core/problems";
import { type NewRecord, offboardText, parseMember, renderRecord, treeOf } from "../registry/records";
import { isLabel } from "../components/core/schema";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";
import { offboardVault, offboardVaultTree, onboardVault } from "./records-vault";

const collect = (value: string, previous: string[]) => [...previous, value];

/** The registry directory of a YAML source, and the file of tenant `id` in it (`.yaml` or `.yml`, if any). */
function recordFile(opts: CommonOptions, id: string): { dir: string; path: string; exists: boolean } {
  const load = loadOptions(opts);
  if (load.source.kind !== "yaml")
    throw new UsageError("records are files of the YAML registry: use --source yaml (the default)");
  checkId(id);
  const dir = load.source.dir;
  const found = [".yaml", ".yml"].map((ext) => join(dir, `${id}${ext}`)).find((p) => existsSync(p));
  return { dir, path: found ?? join(dir, `${id}.yaml`), exists: found !== undefined };
}

function checkId(id: string): void {
  if (!isLabel(id))
    throw new UsageError(
      `${JSON.stringify(id)} is not a valid tenant id (lowercase letters, digits and dashes, at most 63)`,
    );
}

/** Validates the registry with `path` holding `text` (replacing what it holds now); throws the problems if any. */
async function validateWith(opts: CommonOptions, id: string, path: string, text: string): Promise<void> {
  const parsed = parseYaml(Buffer.from(text), path);
  const doc: TenantDocument = parsed.ok
    ? { id, source: path, data: parsed.data }
    : { id, source: path, data: undefined, problems: parsed.problems };
  await loadRegistry(loadOptions(opts), (docs) => [...docs.filter((d) => d.id !== id), doc]);
}

interface OnboardOptions extends CommonOptions {
  email: string;
  displayName?: string;
  role?: string;
  tier?: string;
  parent?: string;
  namespace: string[];
  domain: string[];
  member: string[];
}

export function recordCommands(program: Command): void {
  withCommonOptions(
    program
      .command("onboard")
      .description(
        "write a new tenant record, tenants/<id>.yaml, for a pull request (with --source vault: into the Vault registry, with check-and-set); refused (nothing written) when the registry would be invalid with it, or the record exists",
      )
      .argument("<id>", "the tenant id: the file name, lowercase letters, digits and dashes")
      .requiredOption("--email <email>", "the tenant's OIDC identity")
      .option("--display-name <name>", "a readable name")
      .option("--role <role>", "namespace-owner (default), power-user or admin")
      .option("--tier <tier>", "one of the environment's tiers (default: its default tier)")
      .option(
        "--parent <id>",
        "the organisation it belongs to: a tenant that bounds it and whose managers own its record (docs/organisations.md)",
      )
      .option(
        "--namespace <name>",
        "a namespace it owns (repeat; default: one named after the id)",
        collect,
        [],
      )
      .option("--domain <hostname>", "a hostname it owns (repeat)", collect, [])
      .option(
        "--member <tenant:role[:namespaces]>",
        "invite another tenant into its namespaces, e.g. bob:viewer or bob:developer:alice-dev (repeat)",
        collect,
        [],
      ),
  ).action(async (id: string, opts: OnboardOptions) => {
    const record: NewRecord = {
      email: opts.email,
      ...(opts.displayName !== undefined ? { displayName: opts.displayName } : {}),
      ...(opts.role !== undefined ? { role: opts.role } : {}),
      ...(opts.tier !== undefined ? { tier: opts.tier } : {}),
      ...(opts.parent !== undefined ? { parent: opts.parent } : {}),
      namespaces: opts.namespace,
      domains: opts.domain,
      members: opts.member.map(parseMember),
    };
    if (opts.source === "vault") {
      checkId(id);
      const { wrote, version } = await onboardVault(opts, id, record);
      report(
        opts,
        { ok: true, wrote, version, tenant: id },
        `wrote ${wrote} (version ${version}): tenancy diff --source vault --base ~1 shows what it does; tenant ${id} is onboarded when the change is applied`,
      );
      return;
    }
    const { dir, path, exists } = recordFile(opts, id);
    if (exists)
      throw new UsageError(`${path} exists already: edit it, or offboard it with tenancy offboard ${id}`);
    const schema = relative(resolve(dir), resolve("schema", "tenant.schema.json"));
    const text = renderRecord(record, schema);
    await validateWith(opts, id, path, text);
    // exclusive create: a file that appeared since the check is not overwritten either
    writeFileSync(path, text, { flag: "wx" });
    report(opts, { ok: true, wrote: path, tenant: id }, `wrote ${path}: ${next(id)}`);
  });

  withCommonOptions(
    program
      .command("offboard")
      .description(
        "phase one of removing a tenant (or one of its namespaces): sets offboarding: true in its record, comments kept; access goes once applied, data stays until the record (or namespace) is removed in a later change",
      )
      .argument("<id>", "the tenant id")
      .option("--namespace <name>", "offboard only this namespace of the tenant")
      .option(
        "--recursive",
        "an organisation: the tenant and every descendant (docs/organisations.md); a parent offboarding alone while a child is active is refused",
      ),
  ).action(async (id: string, opts: CommonOptions & { namespace?: string; recursive?: boolean }) => {
    if (opts.recursive && opts.namespace !== undefined)
      throw new UsageError("--recursive offboards whole tenants: leave out --namespace");
    if (opts.recursive) {
      checkId(id);
      const { wrote, tenants } =
        opts.source === "vault" ? await offboardVaultTree(opts, id) : await offboardTree(opts, id);
      report(
        opts,
        { ok: true, changed: wrote.length > 0, wrote, tenants },
        wrote.length === 0
          ? `tenant ${id} and its descendants are offboarding already: nothing changed`
          : `offboarding: true set for ${tenants.join(", ")} in ${wrote.join(", ")}. Phase one: once applied, access is revoked and their data unprotected, but kept. Phase two, in a later change after that apply: remove the records.`,
      );
      return;
    }
    if (opts.source === "vault") {
      checkId(id);
      const what = opts.namespace ? `namespace ${opts.namespace} of tenant ${id}` : `tenant ${id}`;
      const { wrote, version } = await offboardVault(opts, id, opts.namespace);
      if (version === undefined)
        report(
          opts,
          { ok: true, changed: false, tenant: id },
          `${what} is offboarding already: ${wrote} unchanged`,
        );
      else
        report(
          opts,
          { ok: true, changed: true, wrote, version, tenant: id },
          `${what}: offboarding: true set in ${wrote} (version ${version}). Phase one: once applied, access is revoked and its data unprotected, but kept. Phase two, in a later change after that apply: ${opts.namespace ? "remove the namespace from the record" : "remove the record"}.`,
        );
      return;
    }
    const { path, exists } = recordFile(opts, id);
    if (!exists) throw new UsageError(`no tenant ${JSON.stringify(id)}: ${path} does not exist`);
    const what = opts.namespace ? `namespace ${opts.namespace} of tenant ${id}` : `tenant ${id}`;
    const text = offboardText(readFileSync(path, "utf8"), path, opts.namespace);
    if (text === undefined) {
      report(
        opts,
        { ok: true, changed: false, tenant: id },
        `${what} is offboarding already: ${path} unchanged`,
      );
      return;
    }
    await validateWith(opts, id, path, text);
    writeFileSync(path, text);
    report(
      opts,
      { ok: true, changed: true, wrote: path, tenant: id },
      `${what}: offboarding: true set in ${path}. Phase one: once applied, access is revoked and its data unprotected, ` +
        `but kept. Phase two, in a later change after that apply: ${opts.namespace ? "remove the namespace from the record" : "delete the file"}.`,
    );
  });
}

/**
 * `offboard --recursive` on the YAML registry: phase one set in the tenant's file and every descendant's, the
 * registry validated with all of them first; nothing is written when it would be invalid.
 */
async function offboardTree(
  opts: CommonOptions,
  id: string,
): Promise<{ wrote: string[]; tenants: string[] }> {
  const { path, exists } = recordFile(opts, id);
  if (!exists) throw new UsageError(`no tenant ${JSON.stringify(id)}: ${path} does not exist`);
  const texts = new Map<string, { path: string; text: string }>();
  await loadRegistry(loadOptions(opts), (docs) => {
    const ids = [id, ...descendants(treeOf(docs), id).map((t) => t.id)];
    const changed = new Map<string, TenantDocument>();
    for (const tenant of ids) {
      const doc = docs.find((d) => d.id === tenant)!;
      const text = offboardText(readFileSync(doc.source, "utf8"), doc.source);
      if (text === undefined) continue;
      texts.set(tenant, { path: doc.source, text });
      const parsed = parseYaml(Buffer.from(text), doc.source);
      changed.set(
        tenant,
        parsed.ok
          ? { id: tenant, source: doc.source, data: parsed.data }
          : { id: tenant, source: doc.source, data: undefined, problems: parsed.problems },
      );
    }
    return docs.map((d) => changed.get(d.id) ?? d);
  });
  for (const { path: file, text } of texts.values()) writeFileSync(file, text);
  return { wrote: [...texts.values()].map((t) => t.path), tenants: [...texts.keys()] };
}

const next = (id: string) =>
  `commit it and open a pull request (tenancy diff --base origin/main shows what it does); tenant ${id} is onboarded when the change is applied`;

function report(opts: CommonOptions, json: Record<string, unknown>, text: string): void {
  if (opts.json) process.stdout.write(JSON.stringify(json, null, 2) + "\n");
  else console.log(text);
}
