/**
 * The shared objects concern's part of the registry's schemas (registry/schema.ts assembles them): the objects
 * the environment, a tier or a tenant record (an organisation's too) declares for each of its namespaces
 * (docs/shared-objects.md). Strict everywhere: an unknown key is a typo. What needs more than one field (the
 * KV path's owner, name collisions, network peers, the tier's limits) is checked by rules.ts.
 */
import { z } from "zod";
import { AnyKey, LabelKey, LabelMap, Quantity, isLabel, isnt } from "../core/schema";
import { VaultPath } from "../vault/schema";

/** A shared object's name: a DNS label (docs/shared-objects.md, "Names"). */
export const SharedName = z
  .string()
  .refine(isLabel, isnt("a valid object name (lowercase RFC 1123 label, at most 63 characters)"));

/** A key of a Secret's or ConfigMap's data, as Kubernetes accepts it. */
const DATA_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
const DataKey = z
  .string()
  .refine(
    (k) => DATA_KEY.test(k) && k !== "." && k !== "..",
    isnt('a data key (letters, digits, "-", "_", ".", at most 253; not "." or "..")'),
  );

/** A field of a KV v2 secret: printable, no slash, at most 253 characters. */
const KvField = z
  .string()
  .refine((k) => /^[\x21-\x7e]{1,253}$/.test(k), isnt("a KV field name (printable ASCII, no spaces)"));

/** Secret types and the data keys each requires (Kubernetes' own validation of those types). */
export const SECRET_TYPES = {
  Opaque: [],
  "kubernetes.io/dockerconfigjson": [".dockerconfigjson"],
  "kubernetes.io/tls": ["tls.crt", "tls.key"],
  "kubernetes.io/basic-auth": [],
  "kubernetes.io/ssh-auth": ["ssh-privatekey"],
} as const satisfies Record<string, readonly string[]>;
export type SecretType = keyof typeof SECRET_TYPES;

export const SharedSecret = z
  .strictObject({
    kind: z.literal("Secret"),
    name: SharedName,
    type: z
      .enum(Object.keys(SECRET_TYPES) as [SecretType, ...SecretType[]])
      .default("Opaque")
      .describe("the Secret's type"),
    vault: z
      .strictObject({
        path: VaultPath.describe(
          "the KV v2 secret under the environment's vault.kvMount (without the mount and data/): a tenant's own paths for a tenant record, a platform path for the environment or a tier",
        ),
        keys: z
          .record(safeDataKey(), KvField)
          .refine((k) => Object.keys(k).length > 0 && Object.keys(k).length <= 64, {
            error: "names 1 to 64 keys",
          })
          .describe("the Secret's data keys -> the KV secret's fields they are read from"),
      })
      .describe("where the value is read, at apply time: never in the registry, a plan or a diff"),
  })
  .superRefine((s, ctx) => {
    for (const key of SECRET_TYPES[s.type])
      if (!Object.hasOwn(s.vault.keys, key))
        ctx.addIssue({
          code: "custom",
          path: ["vault", "keys"],
          message: `a ${s.type} Secret needs the data key ${JSON.stringify(key)}`,
        });
  });

function safeDataKey() {
  return z
    .string()
    .pipe(DataKey)
    .refine((k) => !["__proto__", "constructor", "prototype"].includes(k), {
      error: "is not a usable key",
    });
}

export const SharedConfigMap = z.strictObject({
  kind: z.literal("ConfigMap"),
  name: SharedName,
  data: z
    .record(safeDataKey(), z.string())
    .refine((d) => Object.values(d).reduce((n, v) => n + v.length, 0) <= 256 * 1024, {
      error: "holds more than 256 KiB",
    })
    .describe("the ConfigMap's data, inline"),
});

const LabelSelector = z.strictObject({
  matchLabels: LabelMap.optional(),
  matchExpressions: z
    .array(
      z.strictObject({
        key: LabelKey,
        operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

/**
 * A peer: pods of the namespace (podSelector alone), a namespace pinned by its immutable name label (and its
 * pods), or an ipBlock. rules.ts judges which namespaces and ranges.
 */
const Peer = z
  .strictObject({
    podSelector: LabelSelector.optional(),
    namespaceSelector: z
      .strictObject({ matchLabels: z.record(AnyKey, z.string()) })
      .optional()
      .describe("kubernetes.io/metadata.name: <namespace>, nothing else"),
    ipBlock: z.strictObject({ cidr: z.string(), except: z.array(z.string()).optional() }).optional(),
  })
  .refine((p) => (p.ipBlock ? p.podSelector === undefined && p.namespaceSelector === undefined : true), {
    error: "an ipBlock peer has no podSelector or namespaceSelector",
  })
  .refine(
    (p) => p.ipBlock !== undefined || p.podSelector !== undefined || p.namespaceSelector !== undefined,
    {
      error: "names a podSelector, a namespaceSelector or an ipBlock",
    },
  );

const Port = z.strictObject({
  protocol: z.enum(["TCP", "UDP", "SCTP"]).optional(),
  port: z.union([z.number().int().min(1).max(65535), SharedName]).optional(),
  endPort: z.number().int().min(1).max(65535).optional(),
});

/** A rule naming its peers: one without `from`/`to` would allow every source or destination. */
const peers = (what: string) =>
  z.array(Peer).min(1, `names at least one peer: without ${what} the rule allows everything`);

export const SharedNetworkPolicy = z.strictObject({
  kind: z.literal("NetworkPolicy"),
  name: SharedName,
  spec: z.strictObject({
    podSelector: LabelSelector.describe("the pods it applies to ({} for all)"),
    policyTypes: z.array(z.enum(["Ingress", "Egress"])).min(1),
    ingress: z.array(z.strictObject({ from: peers("from"), ports: z.array(Port).optional() })).optional(),
    egress: z.array(z.strictObject({ to: peers("to"), ports: z.array(Port).optional() })).optional(),
  }),
});

const Resources = z.partialRecord(z.enum(["cpu", "memory", "ephemeral-storage", "storage"]), Quantity);

export const SharedLimitRange = z.strictObject({
  kind: z.literal("LimitRange"),
  name: SharedName,
  spec: z.strictObject({
    limits: z
      .array(
        z.strictObject({
          type: z.enum(["Container", "Pod", "PersistentVolumeClaim"]),
          default: Resources.optional(),
          defaultRequest: Resources.optional(),
          max: Resources.optional(),
          min: Resources.optional(),
          maxLimitRequestRatio: Resources.optional(),
        }),
      )
      .min(1),
  }),
});

export const SharedObject = z.discriminatedUnion("kind", [
  SharedSecret,
  SharedConfigMap,
  SharedNetworkPolicy,
  SharedLimitRange,
]);
export type SharedObjectData = z.output<typeof SharedObject>;

/** A scope's list: each kind and name once. */
export const SharedObjects = z
  .array(SharedObject)
  .max(64)
  .default([])
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((o, i) => {
      const key = `${o.kind}/${o.name}`;
      if (seen.has(key))
        ctx.addIssue({
          code: "custom",
          path: [i, "name"],
          message: `${o.kind} ${JSON.stringify(o.name)} is declared twice`,
        });
      seen.add(key);
    });
  })
  .describe(
    "objects placed in each of this scope's namespaces, kept in sync by up, unchangeable by tenants (docs/shared-objects.md)",
  );
