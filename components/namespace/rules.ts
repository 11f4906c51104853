/** Namespaces: listed once, not reserved for the platform or the system, one owner, not named after another tenant. */
import { reservedNamespaces, reservedPrefixes } from "../../policy/isolation";
import type { EnvironmentModel, NamespaceEntryData } from "../../registry/model";
import { type PathSegment, show } from "../core/problems";
import type { TenantContext } from "../../registry/rules/context";

/** One namespace entry of a tenant file, with where to report problems about it. */
export interface NamespaceEntry {
  name: string;
  /** The entry as written: a bare name, or an object with quota and limits. */
  entry: NamespaceEntryData;
  /** Where the name is: `namespaces[i]`, `namespaces[i].name`, or `namespaces` for the default namespace. */
  path: PathSegment[];
}

/** The tenant's namespace entries; no `namespaces` field means one namespace named after the tenant. */
export function namespaceEntries({ doc, data }: TenantContext): NamespaceEntry[] {
  if (data.namespaces === undefined) return [{ name: doc.id, entry: doc.id, path: ["namespaces"] }];
  return data.namespaces.map((entry, i) =>
    typeof entry === "string"
      ? { name: entry, entry, path: ["namespaces", i] }
      : { name: entry.name, entry, path: ["namespaces", i, "name"] },
  );
}

/** Why a namespace name is reserved, or undefined. */
export function reservedReason(env: EnvironmentModel, ns: string): string | undefined {
  if (reservedNamespaces(env).has(ns))
    return `${show(ns)} is a reserved namespace (platform or system); choose another name`;
  const prefix = reservedPrefixes(env).find((p) => ns.startsWith(p));
  if (prefix !== undefined)
    return `${show(ns)} starts with the reserved prefix ${show(prefix)}; choose another name`;
  return undefined;
}

/** Checks one entry's name and claims it; `own` collects the tenant's names seen so far. */
export function checkNamespace(ctx: TenantContext, own: Set<string>, { name, path }: NamespaceEntry): void {
  const { env, doc, claims, at } = ctx;
  if (own.has(name)) at(path, `${show(name)} is listed twice`);
  own.add(name);
  const reserved = reservedReason(env, name);
  if (reserved) at(path, reserved);
  const owner = claims.namespaceOwner.get(name);
  // a namespace named after another tenant is that tenant's to take: reported here, never claimed
  if (name !== doc.id && claims.isTenant(name))
    at(
      path,
      `${show(name)} is the id of tenant ${show(name)} (${claims.source(name)}); a namespace may not be named after another tenant`,
    );
  else if (owner !== undefined && owner !== doc.id)
    at(
      path,
      `${show(name)} is already owned by tenant ${show(owner)} (${claims.source(owner)}); a namespace has one owner`,
    );
  else claims.namespaceOwner.set(name, doc.id);
}
