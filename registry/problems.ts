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

/** 5 is a defect of tenancy itself (an exception nobody expected), never a verdict on the input. */
export const ExitCode = { ok: 0, invalid: 1, usage: 2, safety: 3, external: 4, internal: 5 } as const;

/** `namespaces[1].quota.pods` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? seg : `.${seg}`;
  }
  return out;
}

export function formatProblem(p: Problem): string {
  const where = formatPath(p.path);
  return where === "" ? `${p.source}: ${p.message}` : `${p.source}: ${where}: ${p.message}`;
}

/** A value shown in a message: strings quoted, long values cut. */
export function show(value: unknown): string {
  let text: string;
  if (value === undefined) text = "nothing";
  else if (typeof value === "string") text = JSON.stringify(value);
  else if (typeof value === "number" && !Number.isFinite(value)) text = String(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Exit 1: the registry or environment is invalid. Carries every problem found. */
export class InvalidInputError extends Error {
  readonly exitCode = ExitCode.invalid;
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "InvalidInputError";
  }
}

/** Exit 2: the command line was wrong. */
export class UsageError extends Error {
  readonly exitCode = ExitCode.usage;
  override name = "UsageError";
}

/** Exit 3: a safety guard refused. */
export class SafetyError extends Error {
  readonly exitCode = ExitCode.safety;
  override name = "SafetyError";
}

/** Exit 4: an external system (Vault, the Pulumi engine) failed. */
export class ExternalError extends Error {
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
