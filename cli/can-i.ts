import type { Command } from "commander";
import { defaultCluster } from "../components/clusters/placement";
import { tenantPrincipal } from "../components/members/rbac";
import { loadRegistry } from "../registry/load";
import { organisationOf } from "../policy/organisations";
import { UsageError } from "../components/core/problems";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";

export function canICommand(program: Command): void {
  withCommonOptions(
    program
      .command("can-i")
      .description(
        "may a principal do this? offline, from the planned RBAC bindings and Vault policies; exit 0 allowed, 1 denied",
      )
      .argument(
        "<principal>",
        "a principal as `access` names it (user:<email>, group:<name>, vault-jwt:...) or a tenant id",
      )
      .argument(
        "<verb>",
        "a Kubernetes verb (get, create, ...) or, with --path, a Vault capability (read, update, ...)",
      )
      .argument("[resource]", "Kubernetes: pods, apps/deployments, pods/exec, ...")
      .option("--namespace <ns>", "in this namespace (default: at cluster scope)")
      .option("--cluster <name>", "on this cluster (default: the environment's default cluster)")
      .option(
        "--name <object>",
        "one object of the resource, by name (rules may name the objects they grant)",
      )
      .option("--path <path>", "a Vault request path, e.g. secret/data/tenants/alice/db"),
  ).action(
    async (
      who: string,
      verb: string,
      resource: string | undefined,
      opts: CommonOptions & { namespace?: string; path?: string; cluster?: string; name?: string },
    ) => {
      if (opts.path !== undefined && opts.namespace !== undefined)
        throw new UsageError("--path asks Vault and --namespace asks Kubernetes: give one of them");
      if (opts.path !== undefined && (opts.cluster !== undefined || opts.name !== undefined))
        throw new UsageError("--path asks Vault; --cluster and --name ask Kubernetes: give one of them");
      if (opts.path === undefined && resource === undefined)
        throw new UsageError("name the Kubernetes resource (e.g. pods), or ask Vault with --path");
      const model = await loadRegistry(loadOptions(opts));
      const clusters = model.environment.clusters.map((c) => c.name);
      if (opts.cluster !== undefined && !clusters.includes(opts.cluster))
        throw new UsageError(`no such cluster: ${opts.cluster} (clusters: ${clusters.join(", ")})`);
      const cluster = opts.cluster ?? defaultCluster(model.environment.clusters);
      let principal = who;
      if (!who.includes(":")) {
        const tenant = model.tenants.find((t) => t.id === who);
        if (!tenant) throw new UsageError(`no such tenant: ${who} (or give a principal as access names it)`);
        principal = tenantPrincipal(model.environment, tenant);
      }
      /* eslint-disable @typescript-eslint/no-require-imports -- loaded on use: commands that plan nothing need not load the layers */
      const { accessMatrix } = require("../plan/access") as typeof import("../plan/access");
      const { canI } = require("../plan/can-i") as typeof import("../plan/can-i");
      const { buildPlan } = require("../plan/plan") as typeof import("../plan/plan");
      const { LAYERS } = require("../stacks/layers") as typeof import("../stacks/layers");
      /* eslint-enable @typescript-eslint/no-require-imports */
      const rows = accessMatrix(model, await buildPlan(model, LAYERS));
      const answer = canI(rows, {
        principal,
        verb,
        resource: resource ?? opts.path ?? "",
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        ...(opts.path !== undefined ? { path: opts.path } : { cluster }),
      });
      // the namespace's organisation (docs/organisations.md), when its tenant has a parent
      const owner =
        opts.namespace === undefined
          ? undefined
          : model.tenants.find((t) => t.namespaces.some((n) => n.name === opts.namespace));
      const organisation = owner?.parent === undefined ? undefined : organisationOf(model, owner.id);
      if (opts.json)
        process.stdout.write(
          JSON.stringify(organisation ? { ...answer, organisation } : answer, null, 2) + "\n",
        );
      else {
        const what =
          answer.system === "vault"
            ? `${verb} on Vault path ${answer.scope}`
            : `${verb} ${answer.resource}${opts.name !== undefined ? ` ${opts.name}` : ""} ${answer.scope === "cluster" ? "at cluster scope" : `in ${answer.scope}`}${clusters.length > 1 ? ` on cluster ${cluster}` : ""}`;
        const lines = [
          `${answer.allowed ? "yes" : "no"}: ${principal} ${answer.allowed ? "may" : "may not"} ${what}: ${answer.reason}`,
        ];
        for (const v of answer.via) lines.push(`  via ${v}`);
        if (organisation)
          lines.push(
            `  namespace ${opts.namespace} belongs to ${organisation.at(-1)}, in organisation ${organisation.join(" > ")}${model.environment.organisations.parentView ? " (organisations.parentView: its ancestors and their full-scope members view it)" : ""}`,
          );
        process.stdout.write(lines.join("\n") + "\n");
      }
      if (!answer.allowed) process.exitCode = 1;
    },
  );
}
