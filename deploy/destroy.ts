/**
 * What a `destroy` keeps of a stack (ARCHITECTURE.md, "Safety"): what is protected (namespaces holding data, their
 * fences, app volumes), everything deleted with something kept (a kept namespace's allowances, bindings, TLS and
 * admission parameters: what lives in a namespace that stays stays with it, so its running pods keep their DNS,
 * their ingress and their own namespaces, and its tenant its access), and everything a kept resource stands on
 * (its parent, its provider, its dependencies, what it is deleted with), without which the engine could not keep
 * it. The engine's own `--exclude-protected` keeps only the first and the last (pkg/cmd/pulumi/operations/
 * destroy.go, getProtectedExcludes): the allowances of a namespace it keeps would be deleted one by one, leaving
 * the namespace's pods behind default deny. So a destroy excludes this set itself (`--exclude`).
 */
import { providerUrn } from "../layers/identity";

/** A resource of a stack's checkpoint, as far as keeping it goes (pkg/apitype ResourceV3's fields). */
export interface CheckpointResource {
  urn: string;
  parent?: string;
  /** `<provider urn>::<provider id>`. */
  provider?: string;
  dependencies?: string[];
  protect?: boolean;
  deletedWith?: string;
}

/** The URNs a destroy of a stack holding `resources` keeps. */
export function keptByDestroy(resources: readonly CheckpointResource[]): Set<string> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const inside = new Map<string, string[]>();
  for (const r of resources)
    if (r.deletedWith) inside.set(r.deletedWith, [...(inside.get(r.deletedWith) ?? []), r.urn]);
  const kept = new Set<string>();
  const keep = (urn: string) => {
    if (kept.has(urn)) return;
    kept.add(urn);
    const r = byUrn.get(urn);
    if (!r) return;
    const provider = r.provider ? providerUrn(r.provider) : undefined;
    for (const d of [r.parent, provider, r.deletedWith, ...(r.dependencies ?? [])]) if (d) keep(d);
    for (const d of inside.get(urn) ?? []) keep(d);
  };
  for (const r of resources) if (r.protect) keep(r.urn);
  return new Set([...kept].filter((u) => byUrn.has(u)));
}
