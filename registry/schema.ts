/**
 * The registry's schemas: one tenant file (`tenants/<id>.yaml`) and one environment file
 * (`environments/<env>.yaml`). Strict everywhere: an unknown key is a typo.
 * Cross-field and cross-tenant rules live in validate.ts; these schemas check each document alone.
 */
import { z } from "zod";
import { unknownKeyMessage } from "./parse";
import { show } from "../components/core/problems";
import { DEFAULT_DEPLOYER_RULES, ruleViolations } from "../components/core/rbac";
import { QUANTITY_EXPECTED, isQuantity, parseQuantity } from "../components/core/quantity";

const isnt = (what: string) => ({ error: (iss: { input?: unknown }) => `${show(iss.input)} is not ${what}` });

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const NAMESPACE_EXPECTED = "a valid namespace name (lowercase RFC 1123 label, at most 63 characters)";
export const TENANT_ID_EXPECTED = "a valid tenant id (lowercase RFC 1123 label, at most 63 characters)";
export const HOSTNAME_EXPECTED =
  "a valid hostname (lowercase RFC 1123 labels separated by dots, at most 253 characters)";

export function isLabel(s: string): boolean {
  return s.length <= 63 && LABEL.test(s);
}

/** RFC 1123 hostname, lowercase; a leading `*.` is accepted here and judged against the environment later. */
export function isHostname(s: string): boolean {
  const host = s.startsWith("*.") ? s.slice(2) : s;
  if (s.length > 253 || host === "") return false;
  const labels = host.split(".");
  return labels.length >= 2 && labels.every(isLabel);
}

// `meta` carries the same rule into the published JSON Schema, for editors.
const labelMeta = { pattern: LABEL.source, maxLength: 63 };
export const TenantId = z.string().refine(isLabel, isnt(TENANT_ID_EXPECTED)).meta(labelMeta);
export const NamespaceName = z.string().refine(isLabel, isnt(NAMESPACE_EXPECTED)).meta(labelMeta);
export const Hostname = z.string().refine(isHostname, isnt(HOSTNAME_EXPECTED)).meta({
  pattern: "^(\\*\\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
  maxLength: 253,
});
/**
 * An email: ASCII letters, digits and `._%+-` before the @, a hostname after. No invisible, control or
 * non-ASCII characters, so no address can render like another tenant's. Plus-addressing
 * (`alice+ops@example.com`) is a legitimate address and allowed; it is a different identity from
 * `alice@example.com`. Emails are compared case-insensitively.
 */
const Email = z
  .string()
  .refine(
    (s) => /^[A-Za-z0-9._%+-]+@[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/i.test(s),
    isnt("a valid email address"),
  );

/** Control, format (zero-width, bidi) and separator characters: nothing a reader can see or trust. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
/** Free text shown to people: no invisible or control characters. */
const VisibleText = z
  .string()
  .refine((s) => !INVISIBLE.test(s), isnt("visible text (it holds control or invisible characters)"));

/** Keys no map may have: they would be dropped, or reach an object's prototype. */
const UNSAFE_KEYS = new Set(["", "__proto__", "constructor", "prototype"]);
/** A map key: not empty, not a prototype key. */
function safeKey<T extends z.ZodType<string>>(key: T) {
  return key.refine((k) => !UNSAFE_KEYS.has(k), {
    error: (iss: { input?: unknown }) => `${show(iss.input)} cannot be a key (empty or a prototype key)`,
  });
}
const AnyKey = safeKey(z.string());
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const EnvName = z.string().refine((s) => ENV_NAME.test(s), isnt("an environment variable name"));

/** Claims of the usual CI providers' ID tokens that name a repository or its owner (GitHub, Gitea/Forgejo, GitLab). */
export const DEFAULT_TENANT_CLAIMS = [
  "repository",
  "repository_id",
  "repository_owner",
  "repository_owner_id",
  "project_path",
  "project_id",
  "namespace_path",
  "namespace_id",
] as const;

/**
 * Claims naming a repository or owner by an id that is never reused (GitHub, Gitea/Forgejo, GitLab): unlike a
 * name, it cannot be taken over by renaming or deleting an account and registering the name again.
 */
export const DEFAULT_IMMUTABLE_CLAIMS = [
  "repository_id",
  "repository_owner_id",
  "project_id",
  "namespace_id",
] as const;

/** A bound claim value: matched exactly (boundClaimsType string), so no glob, and nothing invisible. */
const ClaimValue = z
  .string()
  .min(1)
  .refine((v) => !INVISIBLE.test(v), isnt("visible text (it holds control or invisible characters)"))
  .refine((v) => !/[*?]/.test(v), isnt("an exact value: a glob (* or ?) would bind more than this tenant"));

const Quantity = z
  .union([z.string(), z.number()])
  .refine(isQuantity, isnt(QUANTITY_EXPECTED))
  .transform(String)
  .describe(QUANTITY_EXPECTED);
const Count = z
  .union([z.string(), z.number()])
  .refine((v) => {
    const q = isQuantity(v) ? parseQuantity(v) : undefined;
    return q !== undefined && q % 1_000_000_000n === 0n;
  }, isnt("a whole number of objects"))
  .transform(String)
  .describe("a whole number of objects");

const FIXED_QUOTA = {
  "requests.cpu": Quantity.optional(),
  "limits.cpu": Quantity.optional(),
  "requests.memory": Quantity.optional(),
  "limits.memory": Quantity.optional(),
  "requests.storage": Quantity.optional(),
  "requests.ephemeral-storage": Quantity.optional(),
  "limits.ephemeral-storage": Quantity.optional(),
  persistentvolumeclaims: Count.optional(),
  pods: Count.optional(),
  services: Count.optional(),
  "services.loadbalancers": Count.optional(),
  "services.nodeports": Count.optional(),
};
type FixedQuotaKey = keyof typeof FIXED_QUOTA;
/** The quota keys with a name of their own; besides them, `count/<resource>[.<group>]` object counts. */
export const FIXED_QUOTA_KEYS = Object.keys(FIXED_QUOTA) as FixedQuotaKey[];
/** Kubernetes' object-count quota: `count/<resource>` for the core group, `count/<resource>.<group>` otherwise. */
export const COUNT_QUOTA_KEY = /^count\/[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * ResourceQuota hard limits, with Kubernetes' own key names: the fixed keys and any `count/<resource>` key.
 * Every key is checked here (an unknown one is a typo), in the same pass as the values.
 */
export const Quota = z
  .object(FIXED_QUOTA)
  .catchall(z.unknown())
  .superRefine(
    (q, ctx) => {
      for (const [key, value] of Object.entries(q)) {
        if (Object.hasOwn(FIXED_QUOTA, key)) continue;
        if (!COUNT_QUOTA_KEY.test(key)) {
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: unknownKeyMessage(key, [...FIXED_QUOTA_KEYS, "count/<resource>[.<group>]"]),
          });
          continue;
        }
        const count = Count.safeParse(value);
        if (!count.success)
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: `${show(value)} is not a whole number of objects`,
          });
      }
    },
    // every unknown key is reported, even when a known key's value is wrong too (but only of a mapping)
    {
      when: (payload: { value: unknown }) =>
        typeof payload.value === "object" && payload.value !== null && !Array.isArray(payload.value),
    } as never,
  )
  .transform((q) => {
    const out: Partial<Record<QuotaKey, string>> = {};
    for (const [key, value] of Object.entries(q))
      if (value !== undefined) out[key as QuotaKey] = String(value);
    return out;
  })
  .describe(
    "ResourceQuota hard limits (Kubernetes key names, and count/<resource>[.<group>] object counts); values are Kubernetes quantities",
  );
export type QuotaKey = FixedQuotaKey | `count/${string}`;

const CpuMemory = z.strictObject({ cpu: Quantity.optional(), memory: Quantity.optional() });
/** LimitRange for containers: defaults applied to pods that set none, so they still schedule under the quota. */
export const Limits = z
  .strictObject({
    default: CpuMemory.optional().describe("default limits for containers that set none"),
    defaultRequest: CpuMemory.optional().describe("default requests for containers that set none"),
    max: CpuMemory.optional().describe("largest limits one container may set"),
  })
  .describe("LimitRange for containers");

export const PodSecurityLevel = z.enum(["privileged", "baseline", "restricted"]);

/** Kubernetes label keys (optional DNS prefix, then a name) and values, as the API server checks them. */
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
function isLabelKey(k: string): boolean {
  const slash = k.lastIndexOf("/");
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  return (
    name.length <= 63 &&
    LABEL_NAME.test(name) &&
    (prefix === undefined || (prefix.length <= 253 && isHostname(prefix)))
  );
}
/** A label value: empty, or at most 63 characters of letters, digits, -, _ and . (alphanumeric at both ends). */
function isLabelValue(v: string): boolean {
  return v === "" || (v.length <= 63 && LABEL_NAME.test(v));
}
const LABEL_VALUE_EXPECTED = "a valid label value (at most 63 characters: letters, digits, -, _, .)";
const LabelMap = z.record(AnyKey, z.string()).superRefine((labels, ctx) => {
  for (const [k, v] of Object.entries(labels)) {
    if (!isLabelKey(k))
      ctx.addIssue({ code: "custom", path: [k], message: `${show(k)} is not a valid label key` });
    if (!isLabelValue(v))
      ctx.addIssue({ code: "custom", path: [k], message: `${show(v)} is not ${LABEL_VALUE_EXPECTED}` });
  }
});

/** A label key as a selector names it. */
const LabelKey = z.string().refine(isLabelKey, isnt("a valid label key"));
/** A Kubernetes label selector over the environment's clusters (components/clusters/placement.ts matches it). */
export const ClusterSelector = z
  .strictObject({
    matchLabels: LabelMap.optional(),
    matchExpressions: z
      .array(
        z
          .strictObject({
            key: LabelKey,
            operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
            values: z.array(z.string().refine(isLabelValue, isnt(LABEL_VALUE_EXPECTED))).optional(),
          })
          .superRefine((r, ctx) => {
            const some = (r.values ?? []).length > 0;
            if ((r.operator === "In" || r.operator === "NotIn") && !some)
              ctx.addIssue({
                code: "custom",
                path: ["values"],
                message: `${r.operator} needs at least one value`,
              });
            if ((r.operator === "Exists" || r.operator === "DoesNotExist") && r.values !== undefined)
              ctx.addIssue({ code: "custom", path: ["values"], message: `${r.operator} takes no values` });
          }),
      )
      .optional(),
  })
  .describe(
    "clusters chosen by their labels (matchLabels, matchExpressions: In, NotIn, Exists, DoesNotExist)",
  );

export const NamespaceEntry = z.union([
  NamespaceName,
  z.strictObject({
    name: NamespaceName,
    quota: Quota.optional(),
    limits: Limits.optional(),
    clusterSelector: ClusterSelector.optional().describe(
      "the clusters this namespace exists on; default: the tenant's",
    ),
    offboarding: z
      .boolean()
      .optional()
      .describe(
        "phase one of removing this namespace alone: access to it revoked, the namespace unprotected; remove the entry afterwards",
      ),
  }),
]);

export const TenantRole = z.enum(["namespace-owner", "power-user", "admin"]);
export const MemberRole = z.enum(["owner", "developer", "viewer"]);

const SettingValue = z.union([z.string(), z.number(), z.boolean()]);

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
          .record(AnyKey, z.union([ClaimValue, z.array(ClaimValue).min(1)]))
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

/** An IPv4 or IPv6 CIDR. */
function isCidr(s: string): boolean {
  const [ip = "", bits, ...rest] = s.split("/");
  if (rest.length > 0 || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
  const ipv4 = ip.split(".");
  if (ipv4.length === 4)
    return Number(bits) <= 32 && ipv4.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
  return Number(bits) <= 128 && /^[0-9a-fA-F:]+$/.test(ip) && ip.includes(":");
}

const ClusterSchema = z.strictObject({
  name: TenantId.describe("cluster name"),
  default: z
    .boolean()
    .default(false)
    .describe(
      "where tenants and namespaces without a clusterSelector land; its resources keep their unqualified names (exactly one cluster is the default when there are several)",
    ),
  context: z.string().min(1).describe("kubeconfig context"),
  kubeconfig: z.string().optional().describe("kubeconfig path; default: the provider's usual lookup"),
  server: z.string().url().optional().describe("API server URL, for generated tenant kubeconfigs"),
  certificateAuthorityData: z
    .string()
    .refine(
      (s) => /^[A-Za-z0-9+/]+=*$/.test(s),
      isnt("base64 data (the API server's CA bundle, PEM, base64-encoded)"),
    )
    .optional()
    .describe(
      "the API server's CA bundle (base64 PEM), for generated tenant kubeconfigs; default: the system's trust store",
    ),
  labels: LabelMap.default({}),
});

const NetworkPeer = z
  .strictObject({
    namespace: NamespaceName.optional().describe("a namespace, optionally narrowed by podLabels"),
    podLabels: LabelMap.optional(),
    cidr: z
      .string()
      .refine(isCidr, isnt("a CIDR such as 10.0.0.0/16"))
      .optional()
      .describe("an IP block outside the cluster"),
    ports: z
      .array(
        z.strictObject({
          port: z.number().int().min(1).max(65535),
          protocol: z.enum(["TCP", "UDP"]).default("TCP"),
        }),
      )
      .optional(),
  })
  .refine((p) => (p.namespace === undefined) !== (p.cidr === undefined), {
    error: "a network peer needs exactly one of namespace or cidr",
  })
  .refine((p) => p.cidr === undefined || p.podLabels === undefined, {
    error: "podLabels only go with namespace, not with cidr",
  });

/** A class name (StorageClass, PriorityClass, RuntimeClass, IngressClass), or `*` for any. */
const ClassName = z
  .string()
  .refine(
    (s) => s === "*" || (s.length <= 253 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(s)),
    isnt('a class name (a lowercase DNS subdomain) or "*"'),
  );
/** An image registry, or a repository prefix within one (`ghcr.io/acme`); `*` for any. */
const ImagePrefix = z
  .string()
  .refine(
    (s) =>
      s === "*" ||
      /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?(\/[a-z0-9]([-a-z0-9._]*[a-z0-9])?)*$/.test(s),
    isnt('an image registry or repository prefix such as "ghcr.io/acme" (Docker Hub is "docker.io"), or "*"'),
  );
/** What the admission policies allow a tenant of a tier (ARCHITECTURE.md, "Admission"). */
export const TierAdmission = z
  .strictObject({
    serviceTypes: z
      .array(z.enum(["NodePort", "LoadBalancer", "ExternalName"]))
      .optional()
      .describe("Service types allowed besides ClusterIP (default: none)"),
    storageClasses: z
      .array(ClassName)
      .optional()
      .describe('StorageClasses a PersistentVolumeClaim may name (default: ["*"])'),
    priorityClasses: z
      .array(ClassName)
      .optional()
      .describe(
        "PriorityClasses a pod may name (default: none; list the cluster's globalDefault class if it has one)",
      ),
    runtimeClasses: z.array(ClassName).optional().describe('RuntimeClasses a pod may name (default: ["*"])'),
    requireRuntimeClass: z
      .boolean()
      .optional()
      .describe("every pod must name one of runtimeClasses (a sandboxed runtime for compute isolation)"),
    ingressClasses: z
      .array(ClassName)
      .optional()
      .describe("IngressClasses an Ingress may name (default: the ingress controller's className, else any)"),
    registries: z
      .array(ImagePrefix)
      .optional()
      .describe('registries or repository prefixes container images must come from (default: ["*"])'),
    imagePullPolicies: z
      .array(z.enum(["Always", "IfNotPresent", "Never"]))
      .min(1)
      .optional()
      .describe(
        "imagePullPolicy values a container may have (default: any); [Always] keeps a tenant from running another tenant's private image cached on a node",
      ),
  })
  .refine((a) => !a.requireRuntimeClass || (a.runtimeClasses ?? ["*"]).length > 0, {
    error: "requireRuntimeClass needs at least one runtimeClasses entry",
    path: ["runtimeClasses"],
  });

/** A Kubernetes user or group name, as the API server authenticates it. */
const PrincipalName = z
  .string()
  .min(1)
  .refine((s) => !INVISIBLE.test(s), isnt("visible text (it holds control or invisible characters)"));

const ADMISSION_POLICIES = {
  platformObjects: "objects labelled managed-by tenancy in tenant namespaces: the platform's principals only",
  roleBindings: "tenants' RoleBindings bind only their own principals and service accounts",
  hostnames: "Ingresses, Gateway API routes and Certificates only for the tenant's hostnames",
  services:
    "no externalIPs; Service types per tier; no PersistentVolumeClaim volumeName; StorageClasses per tier",
  workloads: "PriorityClasses, RuntimeClasses and image registries per tier",
  ciIdentity: "shared CI mode: pipeline pods cannot run as, or mint tokens for, the CI identity",
} as const;
export type AdmissionPolicyName = keyof typeof ADMISSION_POLICIES;
const allOn = Object.fromEntries(Object.keys(ADMISSION_POLICIES).map((k) => [k, true])) as Record<
  AdmissionPolicyName,
  boolean
>;
/** Policies that read a tenant's parameters (a ConfigMap in its namespace, protected by platformObjects). */
export const PARAMETRISED_POLICIES: readonly AdmissionPolicyName[] = [
  "roleBindings",
  "hostnames",
  "services",
  "workloads",
];

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

const Admission = z
  .strictObject({
    platform: z
      .strictObject({
        users: z.array(PrincipalName).default([]),
        groups: z.array(PrincipalName).default([]),
      })
      .default({ users: [], groups: [] })
      .describe(
        "the Kubernetes users and groups `pulumi up` runs as: the only principals the admission policies let change what the platform owns",
      ),
    policies: z
      .strictObject(
        Object.fromEntries(
          Object.entries(ADMISSION_POLICIES).map(([k, d]) => [k, z.boolean().default(true).describe(d)]),
        ) as Record<AdmissionPolicyName, z.ZodDefault<z.ZodBoolean>>,
      )
      .default(allOn)
      .describe("the ValidatingAdmissionPolicies, each on unless switched off"),
  })
  .superRefine((a, ctx) => {
    const on = Object.entries(a.policies).some(([, v]) => v);
    if (on && a.platform.users.length === 0 && a.platform.groups.length === 0)
      ctx.addIssue({
        code: "custom",
        path: ["platform"],
        message:
          "name the users or groups `pulumi up` runs as (users, groups): the admission policies refuse everyone else's changes to platform objects; or switch the policies off",
      });
    const reading = PARAMETRISED_POLICIES.filter((p) => a.policies[p]);
    if (!a.policies.platformObjects && reading.length > 0)
      ctx.addIssue({
        code: "custom",
        path: ["policies", "platformObjects"],
        message: `cannot be off while ${reading.join(", ")} ${reading.length === 1 ? "is" : "are"} on: they read each tenant's parameters from a ConfigMap in its namespace, which only platformObjects keeps the tenant from rewriting`,
      });
  })
  .describe("Kubernetes ValidatingAdmissionPolicies that enforce tenant isolation beyond RBAC");

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
  admission: TierAdmission.optional().describe("what the admission policies allow this tier's tenants"),
});

/** A Vault mount or path prefix: plain segments only, so it can be placed in a policy path as is. */
const VaultPath = z
  .string()
  .refine(
    (s) => /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(s),
    isnt("a Vault path (segments of letters, digits, _ and -, separated by /)"),
  );

const K8sPolicyRule = z.strictObject({
  apiGroups: z.array(z.string()),
  resources: z.array(z.string()).min(1),
  verbs: z.array(z.string()).min(1),
});

/** Rules granted to tenant principals (deployers, extra role rules) may not cross the isolation rules. */
function checkTenantRules(who: string) {
  return (rules: z.output<typeof K8sPolicyRule>[], ctx: z.core.$RefinementCtx): void => {
    for (const [i, field, value] of ruleViolations(rules))
      ctx.addIssue({
        code: "custom",
        path: [i, field],
        message:
          field === "verbs"
            ? `${show(value)} is never granted to ${who}`
            : `${who} may not write ${show(value)} (the tenant's isolation)`,
      });
  };
}
const checkDeployerRules = checkTenantRules("a tenant's deployer");
const ExtraRules = (role: string) =>
  z
    .array(K8sPolicyRule)
    .superRefine(checkTenantRules(`a namespace ${role}`))
    .optional()
    .describe(`rules every namespace ${role} gets besides what it aggregates`);

/** Loopback hosts a webhook may be reached over plain http (a receiver beside the runner); anything else needs https. */
const LOOPBACK = /^http:\/\/(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])(:\d+)?(\/|$)/;

const Events = z
  .strictObject({
    webhooks: z
      .array(
        z.strictObject({
          url: z
            .string()
            .url()
            .refine(
              (u) => u.startsWith("https://") || LOOPBACK.test(u),
              isnt("an https URL (plain http on loopback only)"),
            )
            .describe("where each event is POSTed"),
          secretEnv: z
            .string()
            .refine((v) => /^[A-Z_][A-Z0-9_]*$/.test(v), isnt("an environment variable name (A-Z, 0-9, _)"))
            .describe(
              "the environment variable holding the HMAC-SHA256 signing secret; never the secret itself",
            ),
        }),
      )
      .default([]),
    attempts: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(4)
      .describe("tries per event and webhook, with backoff"),
    timeoutSeconds: z.number().int().min(1).max(120).default(10).describe("per try"),
  })
  .describe(
    "after a successful up: a signed JSON event per tenant onboarded, changed or offboarded, POSTed to each webhook",
  );

const VaultSettings = z.strictObject({
  address: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//.test(u), isnt("an http(s) URL"))
    .describe(
      "the Vault every Vault resource of this environment is managed in (its provider's address; VAULT_ADDR is not used for that)",
    ),
  namespace: z.string().min(1).optional().describe("Vault Enterprise / HCP namespace"),
  childToken: z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe(
          "the provider runs with a short-lived child token (needs auth/token/create); false: with the given token itself",
        ),
      ttlSeconds: z
        .number()
        .int()
        .min(60)
        .default(1200)
        .describe("the child token's TTL: a run must end within it"),
    })
    .default({ enabled: true, ttlSeconds: 1200 }),
  kvMount: VaultPath.default("secret").describe("the KV v2 mount holding tenant secrets"),
  tenantPaths: z
    .enum(["prefixed", "top-level"])
    .default("prefixed")
    .describe(
      "which KV paths a tenant's policy grants. prefixed: <kvMount>/data/<tenantPrefix>/<id>/*; top-level (existing installations): <kvMount>/data/<id> and <kvMount>/data/<id>/*",
    ),
  tenantPrefix: VaultPath.default("tenants"),
  reservedPaths: z
    .array(z.string())
    .default(["platform"])
    .describe(
      "tenantPaths top-level: top-level KV names that are not tenants (e.g. the registry's own secret)",
    ),
  kubernetesSecretsMount: VaultPath.default("kubernetes").describe(
    "mount of Vault's Kubernetes secrets engine",
  ),
  sops: z
    .strictObject({
      mount: VaultPath.default("transit").describe("the transit secrets engine's mount"),
      keyPrefix: z
        .string()
        .refine(
          (p) => /^[a-z0-9][-a-z0-9_.]*$/.test(p) && p.length <= 64,
          isnt('a key name prefix (lowercase letters, digits, "-", "_", ".")'),
        )
        .default("sops-state-"),
    })
    .optional()
    .describe(
      "SOPS keys: a transit key <keyPrefix><namespace> per tenant namespace, usable by its tenant only (encrypt, decrypt)",
    ),
  deployer: z
    .strictObject({
      ttlSeconds: z.number().int().min(60).default(1800),
      maxTtlSeconds: z.number().int().min(60).default(3600),
      rules: z.array(K8sPolicyRule).min(1).superRefine(checkDeployerRules).default(DEFAULT_DEPLOYER_RULES),
    })
    .refine((d) => d.ttlSeconds <= d.maxTtlSeconds, {
      error: "ttlSeconds must not exceed maxTtlSeconds",
      path: ["ttlSeconds"],
    })
    .default({ ttlSeconds: 1800, maxTtlSeconds: 3600, rules: DEFAULT_DEPLOYER_RULES }),
});

const CiSettings = z.strictObject({
  shared: z
    .strictObject({
      authMount: VaultPath.default("kubernetes").describe(
        "Vault Kubernetes auth mount the CI system logs in with",
      ),
      role: TenantId.default("ci-deployer"),
      serviceAccount: TenantId.refine((s) => s !== "default", {
        error:
          'cannot be "default": every pod of the namespace that names no service account runs as it, pipeline pods included; give the CI system a dedicated one',
      }).describe("the CI system's own, dedicated service account (never default)"),
      namespace: NamespaceName.describe("the CI system's namespace, e.g. woodpecker"),
    })
    .optional()
    .describe("shared mode: one CI identity that can obtain every tenant's deployer credentials"),
  perTenant: z
    .strictObject({
      authMount: VaultPath.default("jwt").describe(
        "Vault JWT auth mount trusting the CI provider's ID tokens",
      ),
      audience: z.string().trim().min(1, "an audience cannot be empty").optional(),
      tenantClaims: z
        .array(z.string().min(1))
        .min(1)
        .default([...DEFAULT_TENANT_CLAIMS])
        .describe(
          "claims that name a tenant's own repository or owner; a tenant's boundClaims must bind at least one of them",
        ),
      immutableClaims: z
        .array(z.string().min(1))
        .min(1)
        .default([...DEFAULT_IMMUTABLE_CLAIMS])
        .describe(
          "claims whose values never change hands (numeric ids, not names that can be renamed and re-registered); a tenant's boundClaims must bind at least one",
        ),
      userClaim: z.string().default("sub"),
      ttlSeconds: z.number().int().min(60).default(900),
    })
    .optional()
    .describe("per-tenant mode: a JWT auth role per tenant bound to its `ci.boundClaims`"),
  admins: z
    .strictObject({
      envVar: EnvName.default("WOODPECKER_ADMIN").describe(
        "the CI system's admin variable; also the ConfigMap key",
      ),
      extra: z.array(z.string()).default([]).describe("admins besides the registry's admin tenants"),
      configMap: z.strictObject({ namespace: NamespaceName, name: TenantId }).optional(),
    })
    .default({ envVar: "WOODPECKER_ADMIN", extra: [] }),
});

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
function isIp(s: string): boolean {
  return IPV4.test(s) || isCidr(`${s}/128`);
}

const DnsRecords = z
  .strictObject({
    mode: z
      .enum(["tunnel", "ingress"])
      .describe(
        "tunnel: CNAME to <tunnelId>.cfargotunnel.com (behind a Cloudflare Tunnel); ingress: A/AAAA to the ingress addresses or a CNAME to its hostname",
      ),
    tunnelId: z
      .string()
      .regex(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
        "is not a Cloudflare Tunnel id (a UUID)",
      )
      .optional(),
    ingress: z
      .strictObject({
        addresses: z
          .array(z.string().refine(isIp, isnt("an IPv4 or IPv6 address")))
          .min(1)
          .optional(),
        hostname: Hostname.optional(),
      })
      .refine((i) => (i.addresses === undefined) !== (i.hostname === undefined), {
        error: "needs exactly one of addresses or hostname",
      })
      .optional(),
    ttl: z.number().int().min(1).max(86400).default(1).describe("seconds; 1 is Cloudflare's automatic TTL"),
    proxied: z
      .boolean()
      .optional()
      .describe("through Cloudflare's proxy; default: true for tunnel, false for ingress"),
  })
  .superRefine((r, ctx) => {
    if (r.mode === "tunnel" && r.tunnelId === undefined)
      ctx.addIssue({ code: "custom", path: ["tunnelId"], message: "is required with mode tunnel" });
    if (r.mode === "ingress" && r.ingress === undefined)
      ctx.addIssue({ code: "custom", path: ["ingress"], message: "is required with mode ingress" });
  });

const CpuMemoryRequired = z.strictObject({ cpu: Quantity, memory: Quantity });

/** An app tenants may instantiate: everything the factory needs to run one instance per user. */
const CatalogApp = z
  .strictObject({
    description: z.string().optional(),
    image: z
      .string()
      .refine(
        (s) =>
          /^[a-z0-9][-a-z0-9._/:]*(:[A-Za-z0-9_][-A-Za-z0-9_.]{0,127}|@sha256:[0-9a-f]{64})$/.test(s) &&
          !s.endsWith(":latest"),
        isnt("an image pinned by tag (not latest) or digest, e.g. actualbudget/actual-server:25.1.0"),
      ),
    port: z.number().int().min(1).max(65535).describe("the port the app listens on"),
    env: z
      .record(safeKey(EnvName), VisibleText)
      .default({})
      .describe("environment variables of every instance"),
    settings: z
      .record(AnyKey, SettingValue)
      .default({})
      .describe(
        "settings a tenant may set, with their defaults (the type is the default's); storage sizes the volume",
      ),
    settingsEnv: z
      .record(AnyKey, EnvName)
      .default({})
      .describe("setting -> environment variable it is passed as"),
    storage: z
      .strictObject({
        size: Quantity.describe(
          "default size; the setting `storage` overrides it when the entry declares one",
        ),
        mountPath: z.string().regex(/^\/[^\0]*$/, "is not an absolute path"),
        storageClass: z.string().min(1).optional(),
      })
      .optional(),
    resources: z.strictObject({ requests: CpuMemoryRequired, limits: CpuMemoryRequired }),
    host: z
      .string()
      .refine(
        (h) => h.includes("{tenant}") && isHostname(h.replaceAll("{tenant}", "t").replaceAll("{app}", "a")),
        isnt('a host pattern with "{tenant}" (and optionally "{app}"), e.g. "{tenant}.budget.example.com"'),
      ),
    placement: z
      .enum(["tenant", "shared"])
      .default("tenant")
      .describe("tenant: the instance runs in the tenant's namespace; shared: in the app's own namespace"),
    namespace: NamespaceName.optional().describe(
      "shared placement: the app's namespace; default: the app's name",
    ),
    runAsUser: z.number().int().min(1).default(1000).describe("non-root user id the app runs as"),
  })
  .refine((a) => !(a.settings.storage !== undefined && a.storage === undefined), {
    error: "a storage setting needs a storage section (mountPath)",
    path: ["settings", "storage"],
  });

const BundleRule = z.strictObject({
  apiGroups: z.array(z.string()).min(1),
  resources: z.array(z.string()).min(1),
  resourceNames: z.array(z.string().min(1)).min(1).optional(),
  verbs: z.array(z.string()).min(1),
});
/**
 * A role bundle: rules as data, bound in a tenant's namespaces (scope namespace) or cluster-wide (scope cluster)
 * on the clusters a grant selects. What crosses the isolation rules is refused unless marked trusted
 * (registry/rules/grants.ts says what and why).
 */
export const RoleBundle = z.strictObject({
  description: VisibleText.max(200).optional(),
  scope: z
    .enum(["namespace", "cluster"])
    .default("namespace")
    .describe(
      "namespace: a RoleBinding in each granted namespace; cluster: a ClusterRoleBinding (cluster-scoped resources only, unless trusted)",
    ),
  rules: z.array(BundleRule).min(1),
  trusted: z
    .boolean()
    .default(false)
    .describe(
      "allow rules that cross the tenant isolation (escalate, bind, impersonate, cluster-scoped writes, cluster-wide reads of namespaced objects): its grantees become shared principals",
    ),
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
      usernamePrefix: z.string().default("").describe("the API server's --oidc-username-prefix"),
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
            developer: ExtraRules("developer"),
            viewer: ExtraRules("viewer"),
          })
          .default({})
          .describe(
            "rules added to the namespace roles (through tenancy.io/aggregate-to-namespace-<role>); a viewer's also reach developers and owners",
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
