/**
 * `npx tenancy <command>`: the command line (ARCHITECTURE.md, "Command line"). Exit codes: 0 fine, 1 invalid
 * input, 2 usage error, 3 a safety guard refused, 4 an external system failed, 5 an internal error.
 */
import { Command, CommanderError } from "commander";
// the package's version: package.json is the one place it is written
import { version as VERSION } from "../package.json";
import {
  ExitCode,
  type Problem,
  cut,
  escapeControl,
  escapeLines,
  formatProblem,
  isTenancyError,
  InvalidInputError,
  ListingError,
} from "../components/core/problems";
import { accessCommand } from "./access";
import { canICommand } from "./can-i";
import { checkRolesCommand } from "./check-roles";
import { codeownersCommand } from "./codeowners";
import { commentCommand } from "./comment";
import { diffCommand } from "./diff";
import { driftCommand } from "./drift";
import { deployCommands } from "./deploy";
import { eventsCommand } from "./events";
import { initCommand } from "./init";
import { kubeconfigCommand } from "./kubeconfig";
import { operatorCommand } from "./operator";
import { planCommand } from "./plan";
import { portalCommands } from "./portal";
import { recordCommands } from "./records";
import { shardsCommand } from "./shards";
import { validateCommand } from "./validate";

export function buildProgram(): Command {
  const program = new Command("tenancy")
    .description(
      "Declarative multi-tenancy for a shared Kubernetes platform: one registry record per tenant.",
    )
    .version(VERSION, "-V, --version", "print the version of tenancy")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  initCommand(program);
  validateCommand(program);
  planCommand(program);
  accessCommand(program);
  canICommand(program);
  diffCommand(program);
  commentCommand(program);
  recordCommands(program);
  codeownersCommand(program);
  shardsCommand(program);
  operatorCommand(program);
  kubeconfigCommand(program);
  portalCommands(program);
  deployCommands(program);
  driftCommand(program);
  checkRolesCommand(program);
  eventsCommand(program);
  return program;
}

/** Longest failure message printed on the terminal (--json keeps it whole). */
const MAX_MESSAGE = 4000;

/**
 * Prints a failure the way the command's --json asks, and returns its exit code. On the terminal, control
 * characters are escaped: text from files, keys or Vault can neither drive the terminal nor forge a line.
 */
export function reportFailure(e: unknown, json: boolean): number {
  if (isTenancyError(e)) {
    const problems: Problem[] = e instanceof InvalidInputError ? e.problems : [];
    if (json) {
      process.stdout.write(
        JSON.stringify(
          {
            ok: false,
            exitCode: e.exitCode,
            error: e.name,
            message: problems.length ? undefined : e.message,
            problems,
          },
          null,
          2,
        ) + "\n",
      );
    }
    if (problems.length > 0) {
      for (const p of problems) process.stderr.write(formatProblem(p) + "\n");
      process.stderr.write(
        `${problems.length} problem${problems.length === 1 ? "" : "s"} found; nothing was changed.\n`,
      );
    } else if (e instanceof ListingError && e.lines.length > 0) {
      process.stderr.write(`tenancy: ${escapeControl(cut(e.head, MAX_MESSAGE))}\n`);
      for (const line of e.lines) process.stderr.write(`  ${escapeControl(cut(line, MAX_MESSAGE))}\n`);
    } else process.stderr.write(`tenancy: ${escapeControl(cut(e.message, MAX_MESSAGE))}\n`);
    return e.exitCode;
  }
  // the stack keeps its lines; control characters inside each line are escaped
  const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(`tenancy: internal error: ${escapeLines(detail)}\n`);
  return ExitCode.internal;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  // whether the command being run asked for --json, as commander parsed it (not a scan of argv, where
  // "--json" may be an option's value)
  let json = false;
  program.hook("preAction", (_program, command) => {
    json = command.opts().json === true;
  });
  if (argv.length === 0) {
    // no command is a usage error, not a success
    process.stderr.write(program.helpInformation());
    return ExitCode.usage;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version are not errors; everything else commander refuses is a usage error
      return e.exitCode === 0 || e.code === "commander.helpDisplayed" || e.code === "commander.help"
        ? 0
        : ExitCode.usage;
    }
    return reportFailure(e, json);
  }
}

if (
  require.main === module ||
  process.argv[1]?.endsWith("tenancy.cjs") ||
  process.argv[1]?.endsWith("tenancy")
) {
  // a reader that stops early (`tenancy access | head`) closes the pipe: it has what it wanted, nothing to report
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    process.exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
  });
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
