/**
 * What a registry is refused with, as the CLI prints each problem (components/core/problems.ts formatProblem): the
 * table-driven validation tests read refusals through these. Anything thrown but an InvalidInputError is
 * rethrown: a crash is never read as a refusal.
 */
import { InvalidInputError, formatProblem } from "../../components/core/problems";

/** The problems `build` is refused with; [] when it builds. */
export function problemsOf(build: () => unknown): string[] {
  try {
    build();
    return [];
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    return e.problems.map(formatProblem);
  }
}

/** The same for an asynchronous build (a registry loaded from a source). */
export async function problemsOfAsync(build: () => Promise<unknown>): Promise<string[]> {
  try {
    await build();
    return [];
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    return e.problems.map(formatProblem);
  }
}

/** The problems `build` is refused with; a registry that builds fails the test. */
export function refusedWith(build: () => unknown): string[] {
  const problems = problemsOf(build);
  if (problems.length === 0) throw new Error("expected the registry to be refused");
  return problems;
}
