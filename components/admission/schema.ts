/** The admission concern's part of the registry's schemas (registry/schema.ts assembles the tenant and environment files): strict everywhere, an unknown key is a typo. */
import { z } from "zod";
import { INVISIBLE, LABEL_VALUE_EXPECTED, LabelKey, isLabelValue, isnt } from "../core/schema";

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
    gatewayClasses: z
      .array(ClassName)
      .optional()
      .describe(
        "GatewayClasses a tenant's own Gateway or ListenerSet may name (default: none: tenants attach routes to the platform's Gateways)",
      ),
    clusterIssuers: z
      .array(ClassName)
      .optional()
      .describe(
        "cert-manager ClusterIssuers a tenant's Certificate, Ingress or Gateway may name (default: the environment's tls.issuer when it is a ClusterIssuer, else none); a tenant's own Issuers in its namespaces always may",
      ),
    nodePools: z
      .array(
        z
          .string()
          .refine((v) => v === "*" || (v !== "" && isLabelValue(v)), isnt(`${LABEL_VALUE_EXPECTED} or "*"`)),
      )
      .min(1)
      .optional()
      .describe(
        'node pools (values of the environment\'s admission.nodePoolLabel) a pod must select in its nodeSelector (default: ["*"], any node)',
      ),
    tolerations: z
      .array(
        z.string().refine((k) => k === "*" || LabelKey.safeParse(k).success, isnt('a taint key, or "*"')),
      )
      .optional()
      .describe(
        "taint keys a pod may tolerate besides the node conditions Kubernetes tolerates itself (node.kubernetes.io/*) (default: none; * any, which also allows tolerating every taint)",
      ),
  })
  .refine((a) => !a.requireRuntimeClass || (a.runtimeClasses ?? ["*"]).length > 0, {
    error: "requireRuntimeClass needs at least one runtimeClasses entry",
    path: ["runtimeClasses"],
  });

/**
 * The clusters' StorageClasses as they define them: what a tier's `storageClasses` may name, and the reclaim
 * policy a tenant's volumes get from each (the multi-tenancy benchmark asks for Delete: a Retain volume outlives
 * its claim, its data readable by whoever binds it next).
 */
export const StorageClasses = z
  .record(
    ClassName.refine((s) => s !== "*", isnt("a StorageClass name")),
    z.strictObject({
      reclaimPolicy: z.enum(["Delete", "Retain"]).describe("the class's reclaimPolicy"),
      default: z.boolean().optional().describe("the clusters' default class: a claim naming none gets it"),
    }),
  )
  .default({})
  .describe(
    "the clusters' StorageClasses (name -> reclaimPolicy, default): when listed, a tier's admission.storageClasses may name only these, and `*` means these",
  );

/** A Kubernetes user or group name, as the API server authenticates it. */
const PrincipalName = z
  .string()
  .min(1)
  .refine((s) => !INVISIBLE.test(s), isnt("visible text (it holds control or invisible characters)"));

const ADMISSION_POLICIES = {
  platformObjects: "objects labelled managed-by tenancy in tenant namespaces: the platform's principals only",
  roleBindings: "tenants' RoleBindings bind only their own principals and service accounts",
  hostnames:
    "Ingresses, Gateway API objects and Certificates only for the tenant's hostnames, classes and issuers",
  services:
    "no externalIPs; Service types per tier; no PersistentVolumeClaim volumeName; StorageClasses per tier",
  workloads: "PriorityClasses, RuntimeClasses, image registries, node pools and tolerations per tier",
  ciIdentity: "shared CI mode: pipeline pods cannot run as, or mint tokens for, the CI identity",
  networkPolicies:
    "tenants' NetworkPolicies open no reserved range (metadata, nodes, pods) and reach no other tenant's or platform namespace beyond the declared peers",
  credentials: "no long-lived ServiceAccount token Secrets; TokenRequests of at most maxTokenSeconds",
  platformSubresources:
    "subresources of the platform's objects in tenant namespaces (its workloads' scale): the platform only",
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
  "networkPolicies",
  "platformSubresources",
];

/**
 * Annotations a tenant may not set by default: what makes the ingress controller run the tenant's configuration
 * (the snippets, CVE-2021-25742 and CVE-2025-1974's kin) or call a URL of the tenant's choosing (auth-url: reach into
 * the cluster from the controller), what makes external-dns publish a name of the tenant's choosing, and what pins
 * a load balancer's address.
 */
export const FORBIDDEN_ANNOTATIONS = [
  "nginx.ingress.kubernetes.io/server-snippet",
  "nginx.ingress.kubernetes.io/configuration-snippet",
  "nginx.ingress.kubernetes.io/stream-snippet",
  "nginx.ingress.kubernetes.io/auth-snippet",
  "nginx.ingress.kubernetes.io/modsecurity-snippet",
  "nginx.ingress.kubernetes.io/auth-url",
  "nginx.ingress.kubernetes.io/auth-signin",
  "nginx.ingress.kubernetes.io/auth-tls-secret",
  "nginx.ingress.kubernetes.io/mirror-target",
  "nginx.ingress.kubernetes.io/mirror-host",
  "external-dns.alpha.kubernetes.io/*",
  "metallb.universe.tf/*",
  "metallb.io/*",
  "service.beta.kubernetes.io/*",
  "cloud.google.com/load-balancer-ip",
] as const;

export const Admission = z
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
    forbiddenAnnotations: z
      .array(
        z
          .string()
          .max(317)
          .refine(
            (k) =>
              /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?\*?$/.test(
                k,
              ) || /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)\/\*$/.test(k),
            isnt("an annotation key (prefix/name), or one ending in * for every key it begins"),
          ),
      )
      .default([...FORBIDDEN_ANNOTATIONS])
      .describe(
        "annotation keys tenants may not set on Ingresses and Services (a key ending in * covers every key it begins): controller snippets, external authentication, external-dns and load-balancer address pinning",
      ),
    nodePoolLabel: LabelKey.default("tenancy.io/node-pool").describe(
      "the node label whose value names a node pool: a tier's nodePools are values of it, which every pod must select",
    ),
    maxTokenSeconds: z
      .number()
      .int()
      .min(600)
      .max(86400)
      .default(3600)
      .describe(
        "the longest ServiceAccount token a tenant may request (TokenRequest expirationSeconds): what a member minted before leaving stops working within it; tenants may not create long-lived token Secrets at all",
      ),
    components: z
      .strictObject({
        certManager: z
          .array(PrincipalName)
          .default(["system:serviceaccount:cert-manager:cert-manager"])
          .describe(
            "the users cert-manager's controller runs as: the HTTP-01 solver pods, Services and Ingresses it makes in tenant namespaces (labelled acme.cert-manager.io/http01-solver) are its own, not held to the tier's",
          ),
      })
      .prefault({})
      .describe("the platform's own components that create objects in tenant namespaces"),
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
