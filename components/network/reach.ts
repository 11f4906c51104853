/**
 * Reach between a tenant's own namespaces (ARCHITECTURE.md, "Isolation"): each namespace's `network.from`
 * resolved to the list of the tenant's namespaces its platform NetworkPolicies let in. The default, `members`,
 * lets a namespace in only where that opens nothing to anyone: every member invited there is invited here too (an
 * invitation to bob-staging alone must not reach bob-prod). `tenant` is every namespace of the tenant, `namespace`
 * none but itself, a list those named (each must be the tenant's).
 */
import type { MemberModel } from "../../registry/model";
import { show } from "../core/problems";

type PathSegment = string | number;
export type ReachSetting = "members" | "tenant" | "namespace" | string[];

export interface ReachEntry {
  name: string;
  /** The namespace entry's `network.from`, if written. */
  from: ReachSetting | undefined;
  /** Where the entry's `network.from` is, for problems. */
  path: PathSegment[];
}

/** Each namespace -> the tenant's namespaces that may reach it (itself first, then in the tenant's order). */
export function resolveReach(
  entries: readonly ReachEntry[],
  members: readonly MemberModel[],
  at: (path: PathSegment[], message: string) => void,
): Map<string, string[]> {
  const names = entries.map((e) => e.name);
  const invited = (ns: string) =>
    new Set(members.filter((m) => m.namespaces.includes(ns)).map((m) => m.tenant));
  const out = new Map<string, string[]>();
  for (const e of entries) {
    const from = e.from ?? "members";
    let sources: string[];
    if (from === "tenant") sources = names;
    else if (from === "namespace") sources = [];
    else if (from === "members") {
      const here = invited(e.name);
      sources = names.filter((n) => [...invited(n)].every((m) => here.has(m)));
    } else {
      from.forEach((n, j) => {
        if (!names.includes(n))
          at(
            [...e.path, j],
            `${show(n)} is not a namespace of this tenant (its namespaces: ${names.join(", ")})`,
          );
        else if (from.indexOf(n) !== j) at([...e.path, j], `${show(n)} is listed twice`);
      });
      sources = from.filter((n) => names.includes(n));
    }
    out.set(e.name, [e.name, ...sources.filter((n) => n !== e.name)]);
  }
  return out;
}
