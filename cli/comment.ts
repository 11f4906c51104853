/**
 * `tenancy comment`: the pull request comment the pipelines post (plan/comment.ts), from the diff's markdown or
 * from validate's problems, on stdout. Reads no registry.
 */
import { readFileSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import { UsageError } from "../components/core/problems";
import { DEFAULT_MAX_CHARS, capComment, problemsComment } from "../plan/comment";

interface CommentCliOptions {
  diff?: string;
  problems?: string;
  maxChars: number;
  link?: string;
  json?: boolean;
}

function positive(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1000) throw new InvalidArgumentError("a whole number of at least 1000");
  return n;
}

function read(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`${path}: cannot be read: ${(e as Error).message}`);
  }
}

export function commentCommand(program: Command): void {
  program
    .command("comment")
    .description(
      "the pull request comment on stdout: diff --format markdown's output (--diff) or validate's problems (--problems), headed by the marker the pipelines edit the previous comment by, cut under --max-chars with a link to the full text",
    )
    .option("--diff <file>", "the output of tenancy diff --format markdown")
    .option("--problems <file>", "the problems tenancy validate printed (its stderr)")
    .option(
      "--max-chars <n>",
      `the longest comment (GitHub refuses over 65,536)`,
      positive,
      DEFAULT_MAX_CHARS,
    )
    .option("--link <url>", "where the full text is: the uploaded artifact, or the pipeline's log")
    .option("--json", "{ text, omitted, sections } on stdout")
    .action((opts: CommentCliOptions) => {
      if ((opts.diff === undefined) === (opts.problems === undefined))
        throw new UsageError("give one of --diff <file> or --problems <file>");
      const options = { maxChars: opts.maxChars, ...(opts.link ? { link: opts.link } : {}) };
      const comment =
        opts.diff !== undefined
          ? capComment(read(opts.diff), options)
          : problemsComment(read(opts.problems!), options);
      process.stdout.write(opts.json ? JSON.stringify(comment, null, 2) + "\n" : comment.text);
    });
}
