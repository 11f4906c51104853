import { readFileSync, rmSync } from "node:fs";
import { type Command, Option } from "commander";
import { checkoutAt } from "../registry/git-ref";
import { loadRegistry } from "../registry/load";
import { ExitCode, SafetyError, UsageError } from "../components/core/problems";
import type { RegistryModel } from "../registry/model";
import type { RegistryDiff } from "../plan/diff";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";
import { compareWithVaultVersion } from "./diff-vault";

/**
 * The registry and environment at `base` (read from git, the working tree untouched) and the working tree's,
 * planned and compared.
 */
async function compareWithBase(
  opts: CommonOptions & { base: string; full?: boolean },
): Promise<{ env: string; base: RegistryModel; head: RegistryModel; diff: RegistryDiff; label?: string }> {
  const head = loadOptions(opts);
  // the Vault registry: --base is a KV version of its secret (cli/diff-vault.ts)
  if (head.source.kind === "vault") return compareWithVaultVersion(opts);
  const dir = head.source.dir;
  const baseRoot = checkoutAt(".", opts.base, [dir, "environments"]);
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded on use: commands that plan nothing need not load the layers */
  const { compareRegistries } = require("../plan/diff") as typeof import("../plan/diff");
  const { LAYERS } = require("../stacks/layers") as typeof import("../stacks/layers");
  /* eslint-enable @typescript-eslint/no-require-imports */
  try {
    const headModel = await loadRegistry(head);
    const baseModel = await loadRegistry({
      ...head,
      root: baseRoot,
      source: { kind: "yaml", dir: `${baseRoot}/${dir}` },
    });
    const diff = await compareRegistries(baseModel, headModel, LAYERS, { full: opts.full === true });
    return { env: head.env, base: baseModel, head: headModel, diff };
  } finally {
    rmSync(baseRoot, { recursive: true, force: true });
  }
}

/** `diff`, and `approve-check`, the required check of a pull request raising privileges (they share the comparison). */
export function diffCommand(program: Command): void {
  withCommonOptions(
    program
      .command("diff")
      .description(
        "what a registry change does: the registry and environment at a git ref against the working tree, planned and compared (privileges raised first, then resources per tenant and layer, access gained and lost per binding); exit 3 where the guard would refuse it, 6 where privileges rise",
      )
      .requiredOption(
        "--base <ref>",
        "the git ref to compare against, e.g. origin/main; with --source vault, a KV version of the registry's secret (4, or ~1 for the one before the latest)",
      )
      .addOption(
        new Option("--format <format>", "text, or markdown for a pull request comment")
          .choices(["text", "markdown"])
          .default("text"),
      )
      .option(
        "--full",
        "plan every tenant on both sides (by default only those the change can touch, and the shared resources)",
      ),
  ).action(async (opts: CommonOptions & { base: string; format: "text" | "markdown"; full?: boolean }) => {
    const { env, diff, label } = await compareWithBase(opts);
    /* eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on use, as above */
    const { formatDiff, formatDiffMarkdown } = require("../plan/diff") as typeof import("../plan/diff");
    const { refused } = diff;
    process.stdout.write(
      (opts.json
        ? JSON.stringify({ base: opts.base, ...diff }, null, 2)
        : opts.format === "markdown"
          ? formatDiffMarkdown(diff, opts.base, env, refused)
          : formatDiff(diff, `diff ${label ?? `${opts.base} -> working tree`} (environment ${env})`)) + "\n",
    );
    // --json carries the refusal in its one document; the terminal gets it on stderr
    if (refused && opts.json) process.exitCode = ExitCode.safety;
    else if (refused) throw new SafetyError(refused);
    else if ((diff.privileges ?? []).length > 0) {
      if (!opts.json)
        process.stderr.write(
          `privileges raised (${diff.privileges!.length}): a platform admin must approve this change (tenancy approve-check)\n`,
        );
      process.exitCode = ExitCode.privilege;
    }
  });

  withCommonOptions(
    program
      .command("approve-check")
      .description(
        "the pull request's required check: exit 6 when the change raises privileges and no platform admin (codeowners.admins) who is not the raised tenant's own reviewer approved it; 0 otherwise",
      )
      .requiredOption("--base <ref>", "the git ref to compare against, e.g. the target branch")
      .requiredOption(
        "--approvals <file>",
        "the pull request's reviews as the forge lists them (GitHub, Forgejo, Gitea: GET /repos/{owner}/{repo}/pulls/{n}/reviews), a JSON file; - for stdin",
      )
      .option("--head <sha>", "the pull request's head commit: approvals of earlier commits do not count")
      .option(
        "--admin-members <file>",
        "the logins of the admin teams' members (gh api orgs/{org}/teams/{team}/members), a JSON array: needed when codeowners.admins names teams",
      ),
  ).action(
    async (
      opts: CommonOptions & { base: string; approvals: string; head?: string; adminMembers?: string },
    ) => {
      const { adminApproval, parseLogins, parseReviews } =
        /* eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on use */
        require("../policy/approval") as typeof import("../policy/approval");
      const readJson = (file: string, what: string): unknown => {
        try {
          return JSON.parse(readFileSync(file === "-" ? 0 : file, "utf8"));
        } catch (e) {
          throw new UsageError(`${what} ${file}: ${(e as Error).message}`);
        }
      };
      let reviews, members;
      try {
        reviews = parseReviews(readJson(opts.approvals, "--approvals"));
        members = opts.adminMembers ? parseLogins(readJson(opts.adminMembers, "--admin-members")) : [];
      } catch (e) {
        if (e instanceof UsageError) throw e;
        throw new UsageError(`${(e as Error).message}`);
      }
      const { base, head, diff } = await compareWithBase({ ...opts, full: false });
      const raises = diff.privileges ?? [];
      if (raises.length === 0) {
        console.log("approve-check: no privilege raised; the tenant's own reviewers suffice");
        return;
      }
      // the admins as the target branch names them: a pull request cannot name its own approvers
      const admins = base.environment.codeowners?.admins ?? [];
      const ids = new Set(head.tenants.map((t) => t.id));
      const tenants = [...new Set(raises.flatMap((r) => [r.tenant, r.principal].filter((x) => ids.has(x))))];
      const verdict = adminApproval([base, head], tenants, reviews, admins, members, opts.head);
      const lines = raises.map((r) => `  ${r.principal}: ${r.what}`);
      for (const team of verdict.unresolvedTeams)
        lines.push(`  admin team ${team}: its members were not given (--admin-members): it approves nothing`);
      if (verdict.approved) {
        const by = [...new Set(Object.values(verdict.by).flat())].sort();
        console.log(
          [`approve-check: ${raises.length} privilege raise(s), approved by ${by.join(", ")}`, ...lines].join(
            "\n",
          ),
        );
        return;
      }
      process.stderr.write(
        [
          `approve-check: ${raises.length} privilege raise(s) need the approval of a platform admin (${admins.join(", ") || "codeowners.admins names none"}) who is not the tenant's own reviewer:`,
          ...lines,
          ...Object.entries(verdict.by)
            .filter(([, by]) => by.length === 0)
            .map(([t]) => {
              const joins = raises.find((r) => r.tenant === t && r.kind === "organisation");
              const parent = head.tenants.find((x) => x.id === t)?.parent;
              return joins && parent !== undefined
                ? `  no approval for tenant ${t} joining organisation ${parent} by an admin or one of ${parent}'s own reviewers as the target branch names them (docs/organisations.md)`
                : head.tenants.some((x) => x.id === t && x.parent !== undefined)
                  ? `  no approval for tenant ${t} by an admin or a reviewer of its organisation (its ancestors' own reviewers; docs/organisations.md)`
                  : `  no admin approval for tenant ${t}`;
            }),
        ].join("\n") + "\n",
      );
      process.exitCode = ExitCode.privilege;
    },
  );
}
