import { type Command, Option } from "commander";
import { stringify } from "yaml";
import { checkStackNames, operatorAdmissionWarnings, operatorStacks } from "../deploy/operator";
import { escapeControl } from "../components/core/problems";
import { environmentPath, loadRegistry } from "../registry/load";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";

interface OperatorCommandOptions extends CommonOptions {
  repo: string;
  branch: string;
  namespace: string;
  organization: string;
  serviceAccount?: string;
  credentialsSecret: string;
  gitSecret?: string;
  gitAuth: "token" | "basic" | "ssh";
}

export function operatorCommand(program: Command): void {
  withCommonOptions(
    program
      .command("operator")
      .description(
        "Pulumi Kubernetes Operator Stack objects, one per stack (every shard and shared stack), each with the stacks it waits for as prerequisites and the credentials its layer needs: kubectl apply -f - to run the layers in the cluster (docs/in-cluster.md)",
      )
      .requiredOption("--repo <url>", "the git repository of this project and its registry")
      .requiredOption("--organization <org>", "the Pulumi organization of the stacks")
      .option("--branch <branch>", "the branch the operator follows", "main")
      .option("--namespace <ns>", "where the Stack objects live", "pulumi-operator")
      .option("--service-account <name>", "the workspaces' service account")
      .option(
        "--credentials-secret <name>",
        "the Secret with PULUMI_ACCESS_TOKEN, VAULT_ADDR, VAULT_TOKEN, CLOUDFLARE_API_TOKEN (docs/in-cluster.md)",
        "tenancy-credentials",
      )
      .option("--git-secret <name>", "a private repository: the Secret with its git credentials")
      .addOption(
        new Option(
          "--git-auth <kind>",
          "what --git-secret holds: token (key accessToken), basic (username, password), ssh (sshPrivateKey)",
        )
          .choices(["token", "basic", "ssh"])
          .default("token"),
      ),
  ).action(async (opts: OperatorCommandOptions) => {
    const model = await loadRegistry(loadOptions(opts));
    // the Stack CRD's limit on names, before anything is printed (exit 1, at the environment file)
    checkStackNames(model, environmentPath(opts.env));
    const objects = operatorStacks(model, {
      repo: opts.repo,
      branch: opts.branch,
      namespace: opts.namespace,
      organization: opts.organization,
      credentialsSecret: opts.credentialsSecret,
      source: {
        source: opts.source,
        registry: opts.registry,
        vaultLayout: opts.vaultLayout,
        vaultMount: opts.vaultMount,
        ...(opts.vaultPath !== undefined ? { vaultPath: opts.vaultPath } : {}),
        vaultKey: opts.vaultKey,
      },
      ...(opts.gitSecret ? { gitAuth: { secret: opts.gitSecret, kind: opts.gitAuth } } : {}),
      ...(opts.serviceAccount ? { serviceAccount: opts.serviceAccount } : {}),
    });
    // the Stacks are printed all the same: the environment may be about to name the service account
    for (const w of operatorAdmissionWarnings(model, opts))
      process.stderr.write(`tenancy: warning: ${escapeControl(w)}\n`);
    if (opts.json) process.stdout.write(JSON.stringify(objects, null, 2) + "\n");
    else process.stdout.write(objects.map((o) => stringify(o)).join("---\n"));
  });
}
