/**
 * The registry's schemas: one tenant file (`tenants/<id>.yaml`) and one environment file
 * (`environments/<env>.yaml`), assembled from the concerns' parts (`components/<concern>/schema.ts`) over the
 * core's primitives (`components/core/schema.ts`). Strict everywhere: an unknown key is a typo.
 * Cross-field and cross-tenant rules live in the concerns' rules, run by validate.ts; these schemas check each
 * document alone.
 */
import { z } from "zod";
import { Admission, StorageClasses, TierAdmission } from "../components/admission/schema";
import { CatalogApp, SettingValue } from "../components/apps/schema";
import { CiSettings, ClaimValue } from "../components/ci/schema";
import { ClusterSchema, ClusterSelector, RoleBundle } from "../components/clusters/schema";
import { show } from "../components/core/problems";
import {
  AnyKey,
  Email,
  Hostname,
  isnt,
  LabelMap,
  NamespaceName,
  safeKey,
  TenantId,
  VisibleText,
} from "../components/core/schema";
import { DnsRecords } from "../components/dns/schema";
import { Events, TenantHooks } from "../components/events/schema";
import { ExtraRules, MemberRole, ServiceAccounts, TenantRole } from "../components/members/schema";
import { Limits, NamespaceEntry, PodSecurityLevel, Quota } from "../components/namespace/schema";
import { OrganisationSettings } from "../components/organisations/schema";
import { AdminNetworkPolicySettings, NetworkPeer, ReservedRanges } from "../components/network/schema";
import { SharedObjects } from "../components/shared/schema";
import { VaultSettings } from "../components/vault/schema";

/** A git forge account or team, as CODEOWNERS names it: `@user` or `@org/team` (the @ may be left out). */
export const GitHandle = z
  .string()
  .refine(
    (h) => /^@?[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\/[A-Za-z0-9._-]{1,100})?$/.test(h),
    isnt("a git forge user (@name) or team (@org/team)"),
  )
  .transform((h) => (h.startsWith("@") ? h : `@${h}`));

export const TenantFile = z
  .strictObject({
    email: Email.optional().describe(
      "the tenant's OIDC identity: RBAC subject and Vault entity alias (required, except in Vault's single-secret layout with oidc.identityFromId)",
    ),
    role: TenantRole.default("namespace-owner").describe("cluster-level role"),
    displayName: VisibleText.max(200).optional(),
    parent: TenantId.optional().describe(
      "the organisation this tenant belongs to: another tenant's id; the parent's managers own this record and bound what it may have (docs/organisations.md)",
    ),
    git: z
      .array(GitHandle)
      .max(20)
      .default([])
      .describe("the tenant's git forge accounts: they review changes to this record (tenancy codeowners)"),
    tier: z
      .string()
      .optional()
      .describe("tier from the environment; default: the environment's defaults.tier"),
    clusterSelector: ClusterSelector.optional().describe(
      "the clusters the tenant and its namespaces are placed on; default: the environment's default cluster",
    ),
    grants: z
      .array(
        z.strictObject({
          bundle: z.string().describe("a role bundle of the environment (roleBundles)"),
          clusterSelector: ClusterSelector.describe(
            "the clusters it applies on: clusters the tenant is placed on",
          ),
          namespaces: z
            .array(NamespaceName)
            .min(1)
            .optional()
            .describe(
              "namespace bundles: which of the tenant's namespaces; default: all of them on those clusters",
            ),
        }),
      )
      .default([])
      .describe("role bundles granted to the tenant on selected clusters"),
    namespaces: z
      .array(NamespaceEntry)
      .optional()
      .describe(
        "namespaces the tenant owns; default: one namespace named after the tenant; [] for none (admins, power users, members of others' namespaces)",
      ),
    domains: z
      .array(
        z.union([
          Hostname,
          z.strictObject({
            name: Hostname,
            namespace: NamespaceName.optional().describe(
              "the namespace serving it (its certificate lives there); default: the tenant's first",
            ),
            proxied: z
              .boolean()
              .optional()
              .describe("through Cloudflare's proxy; default: the environment's"),
          }),
        ]),
      )
      .default([])
      .describe("hostnames the tenant owns"),
    quota: Quota.optional().describe(
      "per-namespace quota overrides (tenant overrides tier overrides environment)",
    ),
    limits: Limits.optional(),
    members: z
      .array(
        z.strictObject({
          tenant: TenantId.describe("the invited tenant"),
          role: MemberRole,
          manager: z
            .boolean()
            .default(false)
            .describe(
              "may invite others: its git accounts review changes to this record too (tenancy codeowners)",
            ),
          namespaces: z
            .array(NamespaceName)
            .min(1)
            .optional()
            .describe("default: all of this tenant's namespaces"),
        }),
      )
      .default([])
      .describe("other tenants invited into this tenant's namespaces"),
    serviceAccounts: ServiceAccounts,
    apps: z
      .array(
        z.strictObject({
          name: z.string().describe("catalog app"),
          settings: z.record(AnyKey, SettingValue).default({}),
          enabled: z.boolean().default(true).describe("false: the instance stops; its data volume stays"),
          namespace: NamespaceName.optional().describe(
            "tenant-placed apps: the namespace it runs in; default: the tenant's first",
          ),
        }),
      )
      .default([])
      .describe("per-user instances of catalog apps"),
    ci: z
      .strictObject({
        boundClaims: z
          .record(AnyKey, ClaimValue)
          .refine((claims) => Object.keys(claims).length > 0, {
            error:
              "needs at least one claim: without one, any ID token of the CI provider would get this tenant's deployer credentials",
          })
          .describe("claims the CI provider's ID token must carry, e.g. repository_owner"),
        namespaces: z
          .array(NamespaceName)
          .min(1)
          .optional()
          .describe("default: all of the tenant's namespaces"),
      })
      .optional()
      .describe("how the tenant's pipelines authenticate (per-tenant CI mode)"),
    hooks: TenantHooks,
    sharedObjects: SharedObjects,
    offboarding: z.boolean().default(false).describe("phase one of removal: revoke access, unprotect data"),
    shard: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe(
        "the shard stack its resources live in; default: chosen from its id (rendezvous hashing), stable",
      ),
  })
  .describe("One tenant of the shared platform; the file name is the tenant id");

export type TenantFileInput = z.input<typeof TenantFile>;

export type TenantFileData = z.output<typeof TenantFile>;

/** A name template: lowercase letters, digits, `-` and `.`, and the placeholders its object knows. */
function NameTemplate(vars: readonly string[]) {
  return z.string().refine(
    (t) => {
      const placeholders = [...t.matchAll(/\{([a-z]+)\}/g)].map((m) => m[1]!);
      const rest = t.replace(/\{[a-z]+\}/g, "x");
      return placeholders.every((p) => vars.includes(p)) && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(rest);
    },
    isnt(
      `a name template: lowercase letters, digits, "-" and ".", with ${vars.length > 0 ? vars.map((v) => `{${v}}`).join(", ") : "no placeholders"}`,
    ),
  );
}

const TenantNs = ["tenant", "namespace"] as const;

/**
 * The physical names tenancy gives the objects others see (ARCHITECTURE.md, "Names"): a profile, and any
 * template overridden. `existing-installation` is the naming of the Vault-driven setups tenancy adopts.
 */
export const Names = z
  .strictObject({
    profile: z.enum(["tenancy", "existing-installation"]).default("tenancy"),
    vaultPolicy: NameTemplate(["tenant"]).optional().describe("a tenant's Vault policy"),
    deployer: NameTemplate(["namespace"]).optional().describe("a namespace's deployer Role and Vault role"),
    ownerBinding: NameTemplate(TenantNs).optional().describe("the owner's RoleBinding in each namespace"),
    memberBinding: NameTemplate([...TenantNs, "member"])
      .optional()
      .describe("an invited member's RoleBinding"),
    clusterBinding: z
      .union([
        NameTemplate(["tenant", "role"]),
        z.strictObject({
          "namespace-owner": NameTemplate(["tenant"]),
          "power-user": NameTemplate(["tenant"]),
          admin: NameTemplate(["tenant"]),
        }),
      ])
      .optional()
      .describe("a tenant's ClusterRoleBinding: one template, or one per tenant role"),
    quota: NameTemplate(TenantNs).optional().describe("a namespace's ResourceQuota"),
    limits: NameTemplate(TenantNs).optional().describe("a namespace's LimitRange"),
    tlsSecret: NameTemplate(TenantNs).optional().describe("a namespace's TLS secret (and its Certificate)"),
  })
  .describe("the names of the objects tenancy creates");

const Tier = z.strictObject({
  description: z.string().optional(),
  quota: Quota.optional().describe("default per-namespace quota"),
  limits: Limits.optional(),
  max: Quota.optional().describe("largest per-namespace quota a tenant of this tier may ask for"),
  budget: Quota.optional().describe("the tenant's total across all its namespaces"),
  podSecurity: z
    .strictObject({
      enforce: PodSecurityLevel.optional(),
      audit: PodSecurityLevel.optional(),
      warn: PodSecurityLevel.optional(),
    })
    .optional(),
  maxNamespaces: z.number().int().min(1).optional(),
  clusterReader: z
    .boolean()
    .optional()
    .describe(
      "namespace owners of this tier may read the cluster's classes (StorageClasses, IngressClasses, PriorityClasses, RuntimeClasses, CSIDrivers) to choose among them (default false: no access at cluster scope, the multi-tenancy benchmark's block access to cluster resources)",
    ),
  admission: TierAdmission.optional().describe("what the admission policies allow this tier's tenants"),
  sharedObjects: SharedObjects.optional(),
});

export const EnvironmentFile = z
  .strictObject({
    description: z.string().optional(),
    clusters: z
      .array(ClusterSchema)
      .min(1)
      .max(64)
      .superRefine((clusters, ctx) => {
        const seen = new Set<string>();
        clusters.forEach((c, i) => {
          if (seen.has(c.name))
            ctx.addIssue({ code: "custom", path: [i, "name"], message: `${show(c.name)} is listed twice` });
          seen.add(c.name);
        });
        const defaults = clusters.filter((c) => c.default).length;
        if (clusters.length > 1 && defaults !== 1)
          ctx.addIssue({
            code: "custom",
            path: [],
            message: `${defaults === 0 ? "no cluster is" : `${defaults} clusters are`} marked default: true; mark exactly one (tenants without a clusterSelector land there)`,
          });
      })
      .describe("the Kubernetes clusters of this environment, with labels tenants select them by"),
    roleBundles: z
      .record(safeKey(TenantId), RoleBundle)
      .default({})
      .describe("named sets of RBAC rules tenants are granted on selected clusters (a tenant's grants)"),
    dns: z.strictObject({
      zones: z.record(Hostname, z.string().min(1)).describe("DNS zone name -> Cloudflare zone id"),
      allowWildcards: z.boolean().default(false),
      reservedNames: z
        .array(z.string().min(1))
        .default([])
        .describe(
          "hostnames no tenant may claim besides every zone's apex: a label (reserved in every zone, e.g. www) or a full hostname",
        ),
      records: DnsRecords.optional().describe(
        "how tenant domains and app hosts point at the platform; without it tenancy manages no DNS records",
      ),
    }),
    tls: z
      .strictObject({
        mode: z
          .enum(["cert-manager", "copy", "none"])
          .describe(
            "cert-manager: a Certificate per namespace serving hostnames; copy: a shared TLS secret copied into each; none",
          ),
        issuer: z.string().min(1).optional().describe("cert-manager: the issuer's name"),
        issuerKind: z.enum(["ClusterIssuer", "Issuer"]).default("ClusterIssuer"),
        namespaceWildcard: Hostname.optional().describe(
          "cert-manager: a zone; each namespace's certificate also covers *.<namespace>.<zone>",
        ),
        copy: z
          .strictObject({ namespace: NamespaceName, secretName: TenantId })
          .optional()
          .describe("copy: the TLS secret (e.g. a wildcard certificate) copied into tenant namespaces"),
      })
      .superRefine((t, ctx) => {
        if (t.mode === "cert-manager" && t.issuer === undefined)
          ctx.addIssue({ code: "custom", path: ["issuer"], message: "is required with mode cert-manager" });
        if (t.mode === "copy" && t.copy === undefined)
          ctx.addIssue({
            code: "custom",
            path: ["copy"],
            message: "is required with mode copy (the secret to copy)",
          });
      }),
    oidc: z.strictObject({
      issuerUrl: z.string().url(),
      clientId: z.string().min(1),
      vaultMountAccessor: z.string().min(1).describe("accessor of Vault's OIDC auth mount"),
      usernamePrefix: z
        .string()
        .refine((p) => p !== "-", {
          // kube-apiserver: --oidc-username-prefix=- turns prefixing off, any other value is prepended verbatim
          error:
            '"-" is the API server\'s "no prefix" (--oidc-username-prefix=-): its usernames would be "alice@example.com" while the RBAC subjects bound here would be "-alice@example.com", matching nobody; write "" for no prefix',
        })
        .default("")
        .describe(
          'the API server\'s --oidc-username-prefix, prepended verbatim to the tenant\'s email in RBAC subjects ("" for none; the flag\'s "-" is written "")',
        ),
      identityFromId: z
        .string()
        .refine((t) => {
          if ((t.match(/\{id\}/g) ?? []).length !== 1) return false;
          const sample = t.replace("{id}", "x");
          return sample.includes("@") ? Email.safeParse(sample).success : /^[A-Za-z0-9._%+-]+$/.test(sample);
        }, isnt('a template with one {id} giving an email ("{id}@example.com") or a user name ("{id}")'))
        .optional()
        .describe(
          'single-secret layout: the identity of a record without an email, from its user name ("{id}@example.com", or "{id}" where the identity provider\'s username is the OIDC identity)',
        ),
      groupsPrefix: z.string().default(""),
    }),
    rbac: z
      .strictObject({
        subject: z
          .enum(["user", "group"])
          .default("user")
          .describe("bind the tenant's email as a User, or a Group"),
        groupPrefix: z
          .string()
          .default("")
          .describe(
            "with subject group: the tenant's IdP group is this prefix + tenant id (bound as oidc.groupsPrefix + that)",
          ),
        extraRules: z
          .strictObject({
            owner: ExtraRules("owner"),
            manager: ExtraRules("manager"),
            developer: ExtraRules("developer"),
            viewer: ExtraRules("viewer"),
          })
          .default({})
          .describe(
            "rules added to the namespace roles (through tenancy.io/aggregate-to-namespace-<role>); a viewer's also reach developers, managers and owners",
          ),
      })
      .default({ subject: "user", groupPrefix: "", extraRules: {} }),
    podSecurity: z
      .strictObject({
        enforce: PodSecurityLevel.default("restricted"),
        audit: PodSecurityLevel.default("restricted"),
        warn: PodSecurityLevel.default("restricted"),
        version: z
          .string()
          .refine(
            (v) => v === "latest" || /^v1\.\d+$/.test(v),
            isnt('a Pod Security version: "latest" or "v1.<minor>"'),
          )
          .default("latest"),
      })
      .prefault({})
      .describe(
        "Pod Security Admission levels of tenant namespaces (default: restricted everywhere); a tier may relax them",
      ),
    network: z.strictObject({
      dns: z.strictObject({ namespace: NamespaceName, podLabels: LabelMap }),
      ingressController: z.strictObject({
        namespace: NamespaceName,
        podLabels: LabelMap.optional(),
        className: z.string().min(1).optional().describe("the IngressClass app instances' Ingresses use"),
      }),
      extraIngress: z.array(NetworkPeer).default([]),
      extraEgress: z.array(NetworkPeer).default([]),
      reserved: ReservedRanges,
      adminNetworkPolicy: AdminNetworkPolicySettings,
    }),
    defaults: z.strictObject({
      tier: z.string(),
      quota: Quota.optional(),
      limits: Limits.optional(),
      admission: TierAdmission.optional(),
    }),
    maxQuota: Quota.optional().describe("no namespace quota may exceed this, whatever the tier"),
    tiers: z.record(safeKey(TenantId), Tier),
    catalog: z.record(safeKey(TenantId), CatalogApp).default({}),
    vault: VaultSettings,
    ci: CiSettings.default(CiSettings.parse({})),
    // prefault: an environment without the block is parsed as one with every policy on, and must name its platform
    admission: Admission.prefault({}),
    names: Names.prefault({}),
    events: Events.prefault({}),
    organisations: OrganisationSettings,
    codeowners: z
      .strictObject({
        admins: z
          .array(GitHandle)
          .min(1)
          .describe("platform admins: they own every file, and every tenant record too"),
      })
      .optional()
      .describe("who reviews registry changes (tenancy codeowners writes CODEOWNERS from it)"),
    shards: z
      .strictObject({
        count: z
          .number()
          .int()
          .min(1)
          .max(256)
          .default(1)
          .describe(
            "tenant stacks per layer: 1, one stack per layer; N > 1, shared resources in <env>-<layer> and tenants in <env>-<layer>-<k>",
          ),
      })
      .default({ count: 1 })
      .describe("splitting each layer's tenants over several stacks (changing count: tenancy shards --to N)"),
    lease: z
      .strictObject({
        namespace: NamespaceName.default("kube-system").describe(
          "where the Lease lives, on the default cluster",
        ),
        durationSeconds: z
          .number()
          .int()
          .min(15)
          .max(3600)
          .default(120)
          .describe("how long a holder that stopped renewing keeps it (renewed every third of this)"),
      })
      .prefault({})
      .describe(
        "the environment lease (a coordination.k8s.io/v1 Lease tenancy-<env>) an up, a destroy or a direct pulumi up holds: one change at a time",
      ),
    storageClasses: StorageClasses,
    sharedObjects: SharedObjects,
    reserved: z
      .strictObject({
        namespaces: z.array(z.string()).default([]),
        prefixes: z.array(z.string().min(1, "an empty prefix would reserve every name")).default([]),
      })
      .default({ namespaces: [], prefixes: [] })
      .describe(
        "namespace names and prefixes no tenant may use, besides default, kube-* and the platform's own",
      ),
  })
  .describe("One deployment target of the platform");

export type EnvironmentData = z.output<typeof EnvironmentFile>;
