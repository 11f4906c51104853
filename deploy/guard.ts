/**
 * The safety guard before a real run: an empty or shrunken registry (Vault unreachable, a wrong path, a bad
 * merge) must never delete a tenant. Compared against the tenant set the platform stack last applied.
 */
import { SafetyError } from "../registry/problems";

export interface AppliedTenant {
  id: string;
  offboarding: boolean;
}

/** Removals of offboarded tenants accepted at once without --allow-removals, unless told otherwise. */
export const DEFAULT_MAX_REMOVALS = 3;

export interface GuardOptions {
  /** Proceed despite removals. */
  allowRemovals: boolean;
  /** Removals accepted without --allow-removals, if each was offboarded first. @default DEFAULT_MAX_REMOVALS */
  maxRemovals?: number;
}

/** Throws SafetyError (exit 3) when the new registry would remove tenants it should not. */
export function checkRemovals(
  applied: AppliedTenant[] | undefined,
  next: string[],
  opts: GuardOptions,
): void {
  if (!applied || opts.allowRemovals) return;
  const keep = new Set(next);
  const removed = applied.filter((t) => !keep.has(t.id));
  if (removed.length === 0) return;
  const hint = "re-run with --allow-removals if this is intended";
  if (next.length === 0)
    throw new SafetyError(
      `the registry is empty but ${applied.length} tenants are applied; refusing to remove them all (is the source right?); ${hint}`,
    );
  const abrupt = removed.filter((t) => !t.offboarding).map((t) => t.id);
  if (abrupt.length > 0)
    throw new SafetyError(
      `tenants removed without offboarding first: ${abrupt.join(", ")}. Removal is two-phase: set offboarding: true and apply, then delete the file; ${hint}`,
    );
  const max = opts.maxRemovals ?? DEFAULT_MAX_REMOVALS;
  if (removed.length > max)
    throw new SafetyError(
      `${removed.length} tenants would be removed (${removed.map((t) => t.id).join(", ")}), more than the ${max} allowed at once (--max-removals); ${hint}`,
    );
}
