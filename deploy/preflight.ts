/**
 * The preflight (ARCHITECTURE.md, "Converging"): before any stack changes, every object the run would create
 * (planned, and not in its stack's state) is looked up in the real systems, and each that exists already becomes
 * an import or an update in place, or a refusal naming the object, who manages it and what to do. A preview
 * cannot find these: the Kubernetes provider previews a create of an existing object as a create and fails the
 * real one (pulumi-kubernetes provider.go, Create: "already exists" only at apply time); Vault refuses a second
 * entity alias for the same name and mount (terraform-provider-vault#1693), and Vault makes one at a user's
 * first OIDC login; Cloudflare refuses a record whose name is taken (error 81053).
 *
 * Kubernetes, by the object's field managers (metadata.managedFields, server-side apply): the fields tenancy
 * sets that another manager holds with another value are conflicts (the apply fails on them unless forced:
 * https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts). No conflict: updated in place.
 * Conflicts on a kind whose content tenancy defines outright (TAKE_OVER, whose objects carry the provider's
 * patchForce annotation): tenancy takes those fields over. On any other kind (a Secret, a ConfigMap, a
 * cluster-wide role, a policy): refused, listing fields and managers.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Adoption } from "../layers/names";
import { urnTypeAndName } from "../layers/identity";
import type { Plan } from "../plan/plan";
import { describeResource } from "../plan/plan";
import type { EnvironmentModel, RegistryModel } from "../registry/model";
import { type PlannedResource, TAKE_OVER, kubernetesObjectKey } from "../components/core/spec";
import { MANAGED_BY, TENANT_LABEL } from "../components/core/labels";
import { jsonEqual } from "../components/core/json";
import { type DnsRecordSpec, recordKey } from "../components/dns/policy";
import { lookupIdentities } from "./vault-identity";
import { conflictMessage, lookupRecords } from "./cloudflare-lookup";
import { type KubeConfigs, RawObjectApi, kubeError, statusOf } from "./kube";
import { mapLimited } from "./map-limited";

const [[MANAGED_KEY, MANAGED_VALUE]] = Object.entries(MANAGED_BY) as [[string, string]];

/** Field managers of Pulumi's Kubernetes provider ("pulumi-kubernetes", or "pulumi-kubernetes-<suffix>" with SSA). */
const PULUMI_MANAGER = /^pulumi-kubernetes(-|$)/;

export type FindingHow = "import" | "in place" | "take over" | "refuse" | "unknown";

/** What the preflight found for one object the run would create. */
export interface Finding {
  stack: string;
  resource: string;
  tenant?: string;
  how: FindingHow;
  detail: string;
}

export interface PreflightClients {
  /** Kubernetes clients by cluster (deploy/kube.ts); absent: Kubernetes objects are not looked up. */
  kubernetes?: KubeConfigs;
  /** VAULT_TOKEN (and a fetch for tests); absent: entities and aliases cannot be looked up (`unknown`). */
  vault?: { token?: string; fetch?: typeof fetch };
  /** CLOUDFLARE_API_TOKEN; absent: records cannot be looked up (`unknown`). */
  cloudflare?: { token?: string; api?: string; fetch?: typeof fetch };
  /** Lookups at once, per system. @default 8 */
  concurrency?: number;
  /** From this many objects of a kind on a cluster, one listing instead of a request each. @default LIST_FROM */
  listFrom?: number;
  /**
   * `tenancy adopt`: what exists is taken over whoever made it (still refused: another tool's, an owned one, a
   * conflict on a kind tenancy does not take over). Otherwise only what tenancy made is. @default false
   */
  adopt?: boolean;
}

export interface PreflightResult {
  /** One per object that exists already, or could not be looked up; nothing for the objects that do not. */
  findings: Finding[];
  /** What the run takes over: imports by id, the clusters whose existing objects it updates in place. */
  adoption: Adoption;
  /** The findings that stop an up: refusals and failed lookups. */
  unresolved: Finding[];
  /** Objects looked up, and requests made, per system. */
  looked: { kubernetes: number; vault: number; cloudflare: number };
}

/** The planned resources of each stack that its state does not hold: the run would create them. */
export function plannedCreates(
  plan: Plan,
  urns: (stack: string) => readonly string[] | undefined,
): { stack: string; resource: PlannedResource }[] {
  const out: { stack: string; resource: PlannedResource }[] = [];
  for (const s of plan.stacks) {
    const have = new Set((urns(s.stack) ?? []).map(urnTypeAndName));
    for (const r of s.resources)
      if (!r.type.startsWith("pulumi:providers:") && !have.has(`${r.type}::${r.name}`))
        out.push({ stack: s.stack, resource: r });
  }
  return out;
}

type Managed = { manager?: string; fieldsV1?: Record<string, unknown> };

/** The leaves of a manifest tenancy sets (arrays are atomic), with their values. */
function leaves(value: unknown, path: string[] = [], out: [string[], unknown][] = []): [string[], unknown][] {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, [...path, k], out);
    if (Object.keys(value).length === 0) out.push([path, value]);
  } else out.push([path, value]);
  return out;
}

/** Whether a FieldsV1 set holds the path (`f:` keys; a list owned as a whole or by any of its items). */
function owns(fields: Record<string, unknown> | undefined, path: string[]): boolean {
  let at: unknown = fields;
  for (const key of path) {
    if (at === null || typeof at !== "object") return false;
    at = (at as Record<string, unknown>)[`f:${key}`];
    if (at === undefined) return false;
  }
  return true;
}

function valueAt(obj: unknown, path: string[]): unknown {
  let at = obj;
  for (const k of path)
    at = at !== null && typeof at === "object" ? (at as Record<string, unknown>)[k] : undefined;
  return at;
}

/** The fields of `planned` another manager holds in `existing` with another value: `field (manager)`. */
export function conflicts(planned: Record<string, unknown>, existing: KubernetesObject): string[] {
  const managed = (
    (existing.metadata as { managedFields?: Managed[] } | undefined)?.managedFields ?? []
  ).filter((m) => m.manager !== undefined && !PULUMI_MANAGER.test(m.manager));
  const out: string[] = [];
  for (const [path, value] of leaves(planned)) {
    if (path[0] === "apiVersion" || path[0] === "kind") continue;
    if (path[0] === "metadata" && (path[1] === "name" || path[1] === "namespace")) continue;
    const holders = managed.filter((m) => owns(m.fieldsV1, path)).map((m) => m.manager!);
    if (holders.length > 0 && !jsonEqual(valueAt(existing, path), value))
      out.push(`.${path.join(".")} (${[...new Set(holders)].join(", ")})`);
  }
  return out;
}

/** Marks of another tool that owns an object: tenancy updating it would fight that tool for ever. */
const OTHER_TOOLS: [string, "labels" | "annotations", string][] = [
  ["meta.helm.sh/release-name", "annotations", "a Helm release"],
  ["argocd.argoproj.io/tracking-id", "annotations", "an Argo CD application"],
  ["argocd.argoproj.io/instance", "labels", "an Argo CD application"],
  ["kustomize.toolkit.fluxcd.io/name", "labels", "a Flux Kustomization"],
  ["helm.toolkit.fluxcd.io/name", "labels", "a Flux HelmRelease"],
];

/**
 * How the run treats an existing Kubernetes object tenancy would create. Outside `tenancy adopt` (`adopt`), only
 * an object tenancy made (its managed-by label, and its tenant's label for a tenant's object: what an interrupted
 * update leaves) is updated; anything else is refused, since it may be another team's or another tool's.
 */
export function judgeObject(
  r: PlannedResource,
  existing: KubernetesObject,
  adopt = false,
): { how: Exclude<FindingHow, "import" | "unknown">; detail: string } {
  const meta = existing.metadata as {
    deletionTimestamp?: unknown;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: Managed[];
    ownerReferences?: { kind?: string; name?: string }[];
  };
  const managers = [...new Set((meta.managedFields ?? []).map((m) => m.manager ?? "unknown"))];
  const by = managers.length > 0 ? `managed by ${managers.join(", ")}` : "no field managers";
  if (meta.deletionTimestamp)
    return {
      how: "refuse",
      detail: `exists and is being deleted (${by}): wait until it is gone, then run again`,
    };
  const owner = meta.labels?.[TENANT_LABEL];
  if (r.tenant !== undefined && owner !== undefined && owner !== r.tenant)
    return {
      how: "refuse",
      detail: `exists and belongs to tenant ${owner} (its ${TENANT_LABEL} label; ${by}): a namespace passes to another tenant only by a registry change the guard sees`,
    };
  const owners = meta.ownerReferences ?? [];
  if (owners.length > 0)
    return {
      how: "refuse",
      detail: `exists and is owned by ${owners.map((o) => `${o.kind} ${o.name}`).join(", ")} (ownerReferences; ${by}): its owner would undo tenancy's changes; remove it or its owner, then run again`,
    };
  const tool = OTHER_TOOLS.find(([key, where]) => meta[where]?.[key] !== undefined);
  if (tool)
    return {
      how: "refuse",
      detail: `exists and belongs to ${tool[2]} (${tool[0]}: ${meta[tool[1]]![tool[0]]}; ${by}): remove it from there first`,
    };
  const ours = meta.labels?.[MANAGED_KEY] === MANAGED_VALUE && (r.tenant === undefined || owner === r.tenant);
  if (!ours && !adopt)
    return {
      how: "refuse",
      detail: `exists and is not tenancy's (no ${MANAGED_KEY}=${MANAGED_VALUE}${r.tenant !== undefined ? ` and ${TENANT_LABEL}=${r.tenant}` : ""} labels; ${by}): remove it, or take it over with tenancy adopt`,
    };
  const all = conflicts(r.inputs, existing);
  const held = all.length > 5 ? [...all.slice(0, 5), `${all.length - 5} more`] : all;
  if (all.length === 0) return { how: "in place", detail: `exists (${by}); updated in place` };
  const kind = `${String(r.inputs.apiVersion)} ${String(r.inputs.kind)}`;
  if (TAKE_OVER.has(kind))
    return { how: "take over", detail: `exists (${by}); tenancy takes over ${held.join(", ")}` };
  return {
    how: "refuse",
    detail: `exists (${by}), whose fields ${held.join(", ")} hold other values: delete it or make it agree with the registry, then run again (docs/operations.md, "Preflight")`,
  };
}

/** Looking up this many objects of one kind on one cluster or more: one listing, not a request each. */
export const LIST_FROM = 16;

async function lookupKubernetes(
  creates: { stack: string; resource: PlannedResource }[],
  configs: KubeConfigs,
  concurrency: number,
  listFrom: number,
  found: (c: { stack: string; resource: PlannedResource }, existing: KubernetesObject) => void,
  failed: (c: { stack: string; resource: PlannedResource }, why: string) => void,
): Promise<number> {
  // by cluster and kind
  const groups = new Map<string, { stack: string; resource: PlannedResource }[]>();
  for (const c of creates) {
    const i = c.resource.inputs as { apiVersion: string; kind: string };
    const key = `${c.resource.cluster} ${i.apiVersion} ${i.kind}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(c);
  }
  let requests = 0;
  const nameOf = (o: { metadata?: { name?: string; namespace?: string } }) =>
    `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
  const jobs: (() => Promise<void>)[] = [];
  for (const group of groups.values()) {
    const first = group[0]!.resource;
    const { apiVersion, kind } = first.inputs as { apiVersion: string; kind: string };
    let api: RawObjectApi;
    try {
      api = RawObjectApi.of(configs(first.cluster!));
    } catch (e) {
      for (const c of group) failed(c, (e as Error).message);
      continue;
    }
    if (group.length < listFrom) {
      for (const c of group)
        jobs.push(async () => {
          const m = c.resource.inputs.metadata as { name: string; namespace?: string };
          requests++;
          try {
            found(c, await api.read({ apiVersion, kind, metadata: m }));
          } catch (e) {
            if (statusOf(e) !== 404) failed(c, `lookup on cluster ${first.cluster} failed: ${kubeError(e)}`);
          }
        });
      continue;
    }
    jobs.push(async () => {
      const existing = new Map<string, KubernetesObject>();
      try {
        let token: string | undefined;
        do {
          requests++;
          const page = await api.list(
            apiVersion,
            kind,
            undefined,
            undefined,
            undefined,
            undefined,
            undefined,
            undefined,
            500,
            token,
          );
          for (const o of page.items) existing.set(nameOf(o), o);
          const meta = page.metadata as { _continue?: string; continue?: string } | undefined;
          token = meta?._continue || meta?.continue || undefined;
        } while (token);
      } catch (e) {
        for (const c of group)
          failed(c, `listing ${kind} on cluster ${first.cluster} failed: ${kubeError(e)}`);
        return;
      }
      for (const c of group) {
        const o = existing.get(
          nameOf(c.resource.inputs as { metadata?: { name?: string; namespace?: string } }),
        );
        if (o) found(c, { apiVersion, kind, ...o });
      }
    });
  }
  await mapLimited(jobs, concurrency, (job) => job());
  return requests;
}

/** The preflight of a run: what exists of what it would create, and how the run treats each. */
export async function preflight(
  model: RegistryModel,
  plan: Plan,
  urns: (stack: string) => readonly string[] | undefined,
  clients: PreflightClients,
): Promise<PreflightResult> {
  const env: EnvironmentModel = model.environment;
  const concurrency = Math.max(1, clients.concurrency ?? 8);
  const creates = plannedCreates(plan, urns);
  const findings: Finding[] = [];
  const adoption: Adoption = { entities: {}, aliases: {} };
  const upsert = new Set<string>();
  const looked = { kubernetes: 0, vault: 0, cloudflare: 0 };
  const finding = (c: { stack: string; resource: PlannedResource }, how: FindingHow, detail: string) =>
    findings.push({
      stack: c.stack,
      resource: describeResource(c.resource),
      ...(c.resource.tenant !== undefined ? { tenant: c.resource.tenant } : {}),
      how,
      detail,
    });

  // Kubernetes objects
  const objects = creates.filter((c) => kubernetesObjectKey(c.resource) !== undefined);
  if (objects.length > 0 && clients.kubernetes)
    looked.kubernetes = await lookupKubernetes(
      objects,
      clients.kubernetes,
      concurrency,
      clients.listFrom ?? LIST_FROM,
      (c, existing) => {
        const { how, detail } = judgeObject(c.resource, existing, clients.adopt === true);
        if (how === "in place" || how === "take over") upsert.add(c.resource.cluster!);
        finding(c, how, detail);
      },
      (c, why) => finding(c, "unknown", why),
    );

  // Vault identities a login may have made
  const identities = creates.filter(
    (c) =>
      c.resource.type === "vault:identity/entity:Entity" ||
      c.resource.type === "vault:identity/entityAlias:EntityAlias",
  );
  if (identities.length > 0) {
    const ids = new Set(identities.map((c) => c.resource.tenant));
    const tenants = model.tenants.filter((t) => ids.has(t.id));
    if (!clients.vault?.token)
      for (const c of identities)
        finding(
          c,
          "unknown",
          "VAULT_TOKEN is not set: cannot look up whether it exists (a user's first login makes one)",
        );
    else {
      const got = await lookupIdentities(env, tenants, {
        token: clients.vault.token,
        concurrency,
        ownedOnly: clients.adopt !== true,
        ...(clients.vault.fetch ? { fetch: clients.vault.fetch } : {}),
      });
      looked.vault = tenants.length;
      for (const c of identities) {
        const entity = c.resource.type === "vault:identity/entity:Entity";
        const tenant = c.resource.tenant!;
        const failure = got.failures[`${c.resource.type}:${tenant}`];
        const found = entity ? got.adoption.entities : got.adoption.aliases;
        const id = Object.hasOwn(found, tenant) ? found[tenant] : undefined;
        if (failure) finding(c, "unknown", failure);
        else if (entity && Object.hasOwn(got.strangers, tenant))
          finding(
            c,
            "refuse",
            `an entity named ${tenant} exists (id ${got.strangers[tenant]}) that tenancy did not make (its metadata lacks managed-by tenancy, tenant ${tenant}): it may carry someone else's groups and policies; rename it in Vault, or take it over with tenancy adopt`,
          );
        else if (id !== undefined) {
          (entity ? adoption.entities : adoption.aliases)[tenant] = id;
          finding(c, "import", `exists (id ${id}${entity ? "" : ", made at the user's login"}); imported`);
        }
      }
    }
  }

  // Cloudflare records
  const records = creates.filter((c) => c.resource.type === "cloudflare:index/dnsRecord:DnsRecord");
  if (records.length > 0) {
    const spec = (r: PlannedResource): DnsRecordSpec => ({
      hostname: String(r.inputs.name),
      zoneId: String(r.inputs.zoneId),
      type: String(r.inputs.type) as DnsRecordSpec["type"],
      content: String(r.inputs.content),
      proxied: r.inputs.proxied === true,
      ttl: Number(r.inputs.ttl),
      comment: String(r.inputs.comment ?? ""),
    });
    if (!clients.cloudflare?.token)
      for (const c of records)
        finding(c, "unknown", "CLOUDFLARE_API_TOKEN is not set: cannot look up whether its name is taken");
    else {
      const got = await lookupRecords(
        records.map((c) => spec(c.resource)),
        {
          token: clients.cloudflare.token,
          concurrency,
          ...(clients.cloudflare.api ? { api: clients.cloudflare.api } : {}),
          ...(clients.cloudflare.fetch ? { fetch: clients.cloudflare.fetch } : {}),
        },
      );
      looked.cloudflare = records.length;
      adoption.dnsRecords = {};
      for (const c of records) {
        const key = recordKey(spec(c.resource));
        const conflict = got.conflicts[key];
        if (got.failures[key]) finding(c, "unknown", got.failures[key]);
        else if (conflict?.length)
          finding(
            c,
            "refuse",
            `${conflictMessage(key, conflict)}: remove that record or the claim, then run again`,
          );
        else if (got.ids[key]) {
          // outside adopt, only a record tenancy made (its comment names the tenant and tenancy): another's
          // record would be deleted with the tenant
          const comment = got.found[key]?.comment;
          if (clients.adopt !== true && comment !== c.resource.inputs.comment)
            finding(
              c,
              "refuse",
              `exists (id ${got.ids[key]}, comment ${JSON.stringify(comment ?? "")}) and is not tenancy's: remove it, or take it over with tenancy adopt`,
            );
          else {
            adoption.dnsRecords[key] = got.ids[key];
            finding(c, "import", `exists (id ${got.ids[key]}); imported`);
          }
        }
      }
    }
  }

  if (upsert.size > 0) adoption.kubernetes = { upsert: [...upsert].sort() };
  return {
    findings,
    adoption,
    unresolved: findings.filter((f) => f.how === "refuse" || f.how === "unknown"),
    looked,
  };
}
