/**
 * Adopting an existing installation (ARCHITECTURE.md, "Adoption"): a platform moving from hand-run or other
 * onboarding already has the namespaces, bindings, policies and identities tenancy would create. A plain `up`
 * fails on them ("already exists"). `tenancy adopt` runs `up` once in adoption mode:
 * - Kubernetes objects: the provider updates an object that already exists instead of failing
 *   (`upsertExistingObjects`), so each is adopted in place by server-side apply, or created if missing;
 * - Vault policies and roles: Vault's writes replace whatever is at the path, so they are adopted in place;
 * - Vault identity entities and entity aliases: these do collide (a user who has logged in already has an
 *   entity and an alias for their email), so they are looked up by name and imported by their ids;
 * - Cloudflare DNS records have ids only Cloudflare knows: looked up by zone, name, type and content
 *   (deploy/cloudflare-lookup.ts) and imported as `<zone id>/<record id>`.
 * Every resource's import id is derivable (`importId`), for `pulumi import` by hand as well.
 */
import type { Adoption } from "../layers/names";
import type { PlannedResource } from "../plan/plan";
import { recordKey } from "../components/dns/policy";

export type { Adoption };

/** How the engine imports a resource of this type: its id, derived from the planned inputs, or undefined. */
export function importId(r: Pick<PlannedResource, "type" | "inputs">): string | undefined {
  const i = r.inputs;
  if (r.type.startsWith("kubernetes:")) {
    const m = i.metadata as { name?: string; namespace?: string } | undefined;
    if (typeof m?.name !== "string") return undefined;
    return typeof m.namespace === "string" ? `${m.namespace}/${m.name}` : m.name;
  }
  switch (r.type) {
    case "vault:index/policy:Policy":
      return String(i.name);
    case "vault:kubernetes/secretBackendRole:SecretBackendRole":
      return `${i.backend}/roles/${i.name}`;
    case "vault:transit/secretBackendKey:SecretBackendKey":
      return `${i.backend}/keys/${i.name}`;
    case "vault:kubernetes/authBackendRole:AuthBackendRole":
    case "vault:jwt/authBackendRole:AuthBackendRole":
      return `auth/${i.backend}/role/${i.roleName}`;
    default:
      // identity entities and aliases are imported by the UUIDs Vault gave them: looked up, not derived
      return undefined;
  }
}

export interface AdoptionLine {
  stack: string;
  resource: string;
  /** imported by id, adopted in place (upsert or write), or created because nothing exists */
  how: "import" | "in place" | "create" | "cannot";
  detail: string;
}

/** One line per planned resource: how adoption treats it. */
export function adoptionReport(
  stacks: { stack: string; resources: PlannedResource[] }[],
  adoption: Adoption,
  describe: (r: PlannedResource) => string,
  failures: Record<string, string> = {},
): AdoptionLine[] {
  const lines: AdoptionLine[] = [];
  for (const { stack, resources } of stacks)
    for (const r of resources) {
      if (r.type.startsWith("pulumi:providers:")) continue;
      const resource = describe(r);
      const tenant = r.tenant ?? "";
      if (r.type === "vault:identity/entity:Entity" || r.type === "vault:identity/entityAlias:EntityAlias") {
        const ids = r.type === "vault:identity/entity:Entity" ? adoption.entities : adoption.aliases;
        const failure = failures[`${r.type}:${tenant}`];
        if (failure) lines.push({ stack, resource, how: "cannot", detail: failure });
        else if (Object.hasOwn(ids, tenant))
          lines.push({ stack, resource, how: "import", detail: ids[tenant]! });
        else lines.push({ stack, resource, how: "create", detail: "none exists" });
        continue;
      }
      if (r.type === "cloudflare:index/dnsRecord:DnsRecord") {
        // Cloudflare gives records ids of its own: looked up by type, name and content
        const key = recordKey({
          type: String(r.inputs.type) as "CNAME",
          hostname: String(r.inputs.name),
          content: String(r.inputs.content),
        });
        const failure = failures[key];
        const id = adoption.dnsRecords?.[key];
        lines.push(
          failure
            ? { stack, resource, how: "cannot", detail: failure }
            : id
              ? { stack, resource, how: "import", detail: id }
              : { stack, resource, how: "create", detail: "none exists" },
        );
        continue;
      }
      const id = importId(r);
      lines.push({
        stack,
        resource,
        how: "in place",
        detail: id === undefined ? "" : `id ${id}`,
      });
    }
  return lines;
}
