/**
 * Verdicts of the admission chain (./admission.ts) on planned policies, for hostile-case tests: the denying policy
 * and its message, or "allowed", and the assertions built on it.
 */
import { expect } from "vitest";
import { type Cluster, type PolicyPair, type Request, admit } from "./admission";
import type { Plan } from "../../plan/plan";

type Json = Record<string, unknown>;

/** A planned Kubernetes object of one cluster (default: the example's main), as the plan would create it. */
export function plannedObject(
  plan: Plan,
  kind: string,
  namespace: string,
  name: string,
  cluster = "main",
): Json {
  const r = plan.stacks
    .flatMap((s) => s.resources)
    .filter((x) => (x.cluster ?? "main") === cluster)
    .find((x) => {
      const m = x.inputs.metadata as { name?: string; namespace?: string } | undefined;
      return x.inputs.kind === kind && m?.name === name && m?.namespace === namespace;
    });
  if (!r) throw new Error(`no planned ${kind} ${namespace}/${name}`);
  return structuredClone(r.inputs) as Json;
}

export interface Verdicts {
  /** The denying policy and message, or "allowed". */
  verdict(r: Request): string;
  allowed(r: Request): void;
  denied(r: Request, policy: string, message?: RegExp): void;
}

/** Verdicts on the policies and cluster `of()` returns when asked (so that they may be set in a beforeAll). */
export function verdicts(of: () => { pairs: PolicyPair[]; cluster: Cluster }): Verdicts {
  const verdict = (r: Request) => {
    const { pairs, cluster } = of();
    const d = admit(pairs, cluster, r);
    return d.allowed ? "allowed" : `${d.policy}: ${d.message}`;
  };
  return {
    verdict,
    allowed: (r) => expect(verdict(r)).toBe("allowed"),
    denied: (r, policy, message) => {
      const v = verdict(r);
      expect(v.startsWith(`${policy}: `), v).toBe(true);
      if (message) expect(v).toMatch(message);
    },
  };
}
