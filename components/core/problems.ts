/**
 * Problems and failures, with the command line's exit codes (ARCHITECTURE.md, "Exit codes").
 * A problem names where (file or Vault path), which field, and what is expected.
 */

export type PathSegment = string | number;

export interface Problem {
  /** The file (e.g. `tenants/alice.yaml`) or Vault path the problem is in. */
  source: string;
  /** Field path inside the source; empty for the document as a whole. */
  path: PathSegment[];
  /** What is wrong and what is expected, including the value received. */
  message: string;
}

/**
 * 5 is a defect of tenancy itself (an exception nobody expected), never a verdict on the input. 6 is kept for a
 * change that raises privileges (`diff`); 7: `drift` found the real systems differ from the registry.
 */
export const ExitCode = {
  ok: 0,
  invalid: 1,
  usage: 2,
  safety: 3,
  external: 4,
  internal: 5,
  /** `diff`: the change raises privileges; `approve-check`: and no platform admin approved it. */
  privilege: 6,
  drift: 7,
} as const;

/** `namespaces[1].quota.pods` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    // an empty key would vanish in the dotted form
    else if (seg === "") out += `[""]`;
    else out += out === "" ? seg : `.${seg}`;
  }
  return out;
}

/**
 * One problem as a line for the terminal. Control characters in any part are escaped, so a file name, key or
 * value can neither drive the terminal (ANSI sequences) nor forge a line of output.
 */
export function formatProblem(p: Problem): string {
  const where = formatPath(p.path);
  const line = where === "" ? `${p.source}: ${p.message}` : `${p.source}: ${where}: ${p.message}`;
  return escapeControl(line);
}

/** Longest value excerpt in a message. */
const MAX_EXCERPT = 80;
/** Longest message, source and field path segment a problem keeps (every message is bounded). */
const MAX_MESSAGE = 1000;
const MAX_SOURCE = 200;
const MAX_SEGMENT = 80;
/** Items a list in a message shows before "and N more". */
const MAX_ITEMS = 5;

/** `text` cut to at most `max` characters, ending in "..." when cut; never splits a surrogate pair. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 3;
  if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end--;
  return `${text.slice(0, end)}...`;
}

/**
 * C0 and C1 controls, DEL, the Unicode line and paragraph separators and the bidirectional controls (which
 * reorder what a terminal or a review page shows).
 */
const CONTROL = /[\p{Cc}\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

const NAMED_ESCAPES: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** Text with every control character written as an escape (`\x1b`, `\n`, `\u202e`), safe to print. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    const hex = code.toString(16).padStart(code <= 0xff ? 2 : 4, "0");
    return NAMED_ESCAPES[c] ?? (code <= 0xff ? `\\x${hex}` : `\\u${hex}`);
  });
}

/** Text of several lines shown on a terminal: each line escaped (escapeControl), the line breaks kept. */
export function escapeLines(text: string): string {
  return text.split("\n").map(escapeControl).join("\n");
}

/** A value shown in a message: strings quoted, long values cut. Never throws, whatever the value. */
export function show(value: unknown): string {
  let text: string;
  if (value === undefined) text = "nothing";
  else if (typeof value === "string") text = JSON.stringify(value);
  else if (typeof value === "number" && !Number.isFinite(value)) text = String(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      // too deep (RangeError) or not JSON; String() can overflow the stack on deep arrays as well
      try {
        text = String(value);
      } catch {
        text = Array.isArray(value) ? "a list nested too deeply to show" : "a value that cannot be shown";
      }
    }
  }
  return cut(text, MAX_EXCERPT);
}

/** Items of a list in a message, e.g. `a, b, c, d, e and 95 more`: a few, each cut, never the whole list. */
export function showList(items: readonly string[], max = MAX_ITEMS): string {
  const shown = items.slice(0, max).map((item) => cut(item, MAX_EXCERPT));
  return shown.join(", ") + (items.length > max ? ` and ${items.length - max} more` : "");
}

/** The problem with its message, source and field names cut to a bounded size. */
function bounded(p: Problem): Problem {
  return {
    source: cut(p.source, MAX_SOURCE),
    path: p.path.map((seg) => (typeof seg === "string" ? cut(seg, MAX_SEGMENT) : seg)),
    message: cut(p.message, MAX_MESSAGE),
  };
}

/** Exit 1: the registry or environment is invalid. Carries every problem found. */
export class InvalidInputError extends Error {
  readonly exitCode = ExitCode.invalid;
  /** Every problem, each cut to a bounded size. */
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    const all = problems.map(bounded);
    super(all.map(formatProblem).join("\n"));
    this.problems = all;
    this.name = "InvalidInputError";
  }
}

/**
 * A failure saying one thing and listing what it is about: `lines` are printed one under the other (each escaped
 * on its own, so a value from the registry or a server inside one cannot start a line of its own), and the
 * message holds them too, a line each.
 */
export class ListingError extends Error {
  /** The first line, without the list. */
  readonly head: string;
  readonly lines: readonly string[];
  constructor(message: string, lines: readonly string[] = []) {
    super(lines.length > 0 ? `${message}\n${lines.join("\n")}` : message);
    this.head = message;
    this.lines = lines;
  }
}

/** Exit 2: the command line was wrong. */
export class UsageError extends ListingError {
  readonly exitCode = ExitCode.usage;
  override name = "UsageError";
}

/** Exit 3: a safety guard refused. */
export class SafetyError extends ListingError {
  readonly exitCode = ExitCode.safety;
  override name = "SafetyError";
}

/** Exit 4: an external system (Vault, the Pulumi engine) failed. */
export class ExternalError extends ListingError {
  readonly exitCode = ExitCode.external;
  override name = "ExternalError";
}

export type TenancyError = InvalidInputError | UsageError | SafetyError | ExternalError;

export function isTenancyError(e: unknown): e is TenancyError {
  return (
    e instanceof InvalidInputError ||
    e instanceof UsageError ||
    e instanceof SafetyError ||
    e instanceof ExternalError
  );
}
