/**
 * Validates a Kubernetes object (as a resource's inputs carry it: apiVersion, kind, metadata, ...) against
 * the Kubernetes OpenAPI schema (and cert-manager's CRD schema), through the `kubernetes-models` class of its
 * apiVersion and kind; a custom resource without such a class against its CRD's vendored structural schema
 * (test/fixtures/crds, ./crd-schema.ts: CEL rules included).
 *
 * `kubernetes-models` checks types, required fields and enums, but lets unknown fields through, and knows
 * nothing of the API server's name rules. So this also checks, per kind: the top-level fields, the metadata
 * fields, the object's name, label keys and values, and that cluster-scoped objects carry no namespace.
 * An apiVersion/kind it does not know throws: nothing escapes validation. Add a kind to KINDS when a
 * component starts producing it.
 */
import { Certificate } from "@kubernetes-models/cert-manager/cert-manager.io/v1";
import {
  ValidatingAdmissionPolicy,
  ValidatingAdmissionPolicyBinding,
} from "kubernetes-models/admissionregistration.k8s.io/v1";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { Ingress, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
} from "kubernetes-models/rbac.authorization.k8s.io/v1";
import {
  ConfigMap,
  LimitRange,
  Namespace,
  PersistentVolumeClaim,
  ResourceQuota,
  Secret,
  Service,
  ServiceAccount,
} from "kubernetes-models/v1";
import adminNetworkPolicySchema from "../fixtures/crds/policy.networking.k8s.io_v1alpha1_AdminNetworkPolicy.json";
import { type Schema, crdProblems } from "./crd-schema";

type Model = new (data: never) => { validate(): void };

/** A model class validating against a vendored CRD schema (what kubernetes-models has no class for). */
function crdModel(schema: Schema): Model {
  return class {
    constructor(private readonly data: unknown) {}
    validate(): void {
      const problems = crdProblems(this.data, schema);
      if (problems.length > 0) throw new Error(problems.join("; "));
    }
  } as unknown as Model;
}
/** How the API server validates the object's name. */
type NameRule = "label" | "subdomain" | "path-segment";

interface KindSpec {
  model: Model;
  /** Top-level fields besides apiVersion, kind and metadata (status is the server's, never an input). */
  fields: string[];
  namespaced: boolean;
  name: NameRule;
}

const SPEC = ["spec"];
const RULES = ["rules"];
const BINDING = ["roleRef", "subjects"];

/** `apiVersion/kind` -> how to validate it. */
const KINDS: Record<string, KindSpec> = {
  "v1/Namespace": { model: Namespace, fields: SPEC, namespaced: false, name: "label" },
  // cert-manager's CRD schema, from its own typed models
  "cert-manager.io/v1/Certificate": {
    model: Certificate as unknown as Model,
    fields: SPEC,
    namespaced: true,
    name: "subdomain",
  },
  // sig-network's network-policy-api v0.1.8, the standard channel's CRD (cluster-scoped)
  "policy.networking.k8s.io/v1alpha1/AdminNetworkPolicy": {
    model: crdModel(adminNetworkPolicySchema as Schema),
    fields: SPEC,
    namespaced: false,
    name: "subdomain",
  },
  "v1/ResourceQuota": { model: ResourceQuota, fields: SPEC, namespaced: true, name: "subdomain" },
  "v1/LimitRange": { model: LimitRange, fields: SPEC, namespaced: true, name: "subdomain" },
  "v1/ConfigMap": {
    model: ConfigMap,
    fields: ["data", "binaryData", "immutable"],
    namespaced: true,
    name: "subdomain",
  },
  "v1/Secret": {
    model: Secret,
    fields: ["data", "stringData", "type", "immutable"],
    namespaced: true,
    name: "subdomain",
  },
  "v1/ServiceAccount": {
    model: ServiceAccount,
    fields: ["automountServiceAccountToken", "imagePullSecrets", "secrets"],
    namespaced: true,
    name: "subdomain",
  },
  "v1/Service": { model: Service, fields: SPEC, namespaced: true, name: "label" },
  "v1/PersistentVolumeClaim": {
    model: PersistentVolumeClaim,
    fields: SPEC,
    namespaced: true,
    name: "subdomain",
  },
  "apps/v1/Deployment": { model: Deployment, fields: SPEC, namespaced: true, name: "subdomain" },
  "apps/v1/StatefulSet": { model: StatefulSet, fields: SPEC, namespaced: true, name: "subdomain" },
  "networking.k8s.io/v1/NetworkPolicy": {
    model: NetworkPolicy,
    fields: SPEC,
    namespaced: true,
    name: "subdomain",
  },
  "networking.k8s.io/v1/Ingress": { model: Ingress, fields: SPEC, namespaced: true, name: "subdomain" },
  "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy": {
    model: ValidatingAdmissionPolicy,
    fields: SPEC,
    namespaced: false,
    name: "subdomain",
  },
  "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding": {
    model: ValidatingAdmissionPolicyBinding,
    fields: SPEC,
    namespaced: false,
    name: "subdomain",
  },
  "rbac.authorization.k8s.io/v1/Role": {
    model: Role,
    fields: RULES,
    namespaced: true,
    name: "path-segment",
  },
  "rbac.authorization.k8s.io/v1/ClusterRole": {
    model: ClusterRole,
    fields: [...RULES, "aggregationRule"],
    namespaced: false,
    name: "path-segment",
  },
  "rbac.authorization.k8s.io/v1/RoleBinding": {
    model: RoleBinding,
    fields: BINDING,
    namespaced: true,
    name: "path-segment",
  },
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": {
    model: ClusterRoleBinding,
    fields: BINDING,
    namespaced: false,
    name: "path-segment",
  },
};

/** The `apiVersion/kind` pairs this validator knows. */
export const KNOWN_KINDS: readonly string[] = Object.keys(KINDS);

const METADATA_FIELDS = new Set([
  "name",
  "generateName",
  "namespace",
  "labels",
  "annotations",
  "finalizers",
  "ownerReferences",
]);

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function nameProblem(name: string, rule: NameRule): string | undefined {
  if (rule === "label")
    return DNS_LABEL.test(name) && name.length <= 63 ? undefined : "is not an RFC 1123 label";
  if (rule === "subdomain")
    return DNS_SUBDOMAIN.test(name) && name.length <= 253 ? undefined : "is not an RFC 1123 subdomain";
  return name !== "" && name !== "." && name !== ".." && !/[/%]/.test(name)
    ? undefined
    : "is not a valid path segment name";
}

/** The API server's rules for a label key (`[prefix/]name`) and value. */
function labelProblems(labels: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const slash = key.lastIndexOf("/");
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = key.slice(slash + 1);
    if (prefix !== undefined && !(DNS_SUBDOMAIN.test(prefix) && prefix.length <= 253))
      problems.push(`label key ${JSON.stringify(key)}: prefix is not an RFC 1123 subdomain`);
    if (!(LABEL_NAME.test(name) && name.length <= 63))
      problems.push(`label key ${JSON.stringify(key)}: name is not a valid label name`);
    if (typeof value === "string" && value !== "" && !(LABEL_NAME.test(value) && value.length <= 63))
      problems.push(
        `label ${JSON.stringify(key)}: value ${JSON.stringify(value)} is not a valid label value`,
      );
  }
  return problems;
}

/**
 * Throws an Error naming the object and every problem found, unless `obj` is a valid Kubernetes object of
 * a known apiVersion and kind.
 */
export function validateK8sObject(obj: unknown): void {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj))
    throw new Error(`not a Kubernetes object: ${JSON.stringify(obj)}`);
  const o = obj as Record<string, unknown>;
  const id = `${String(o.apiVersion)}/${String(o.kind)}`;
  const spec = KINDS[id];
  if (!spec)
    throw new Error(
      `${id}: unknown apiVersion/kind; add it to test/helpers/k8s-schema.ts (known: ${KNOWN_KINDS.join(", ")})`,
    );
  const meta = (o.metadata ?? {}) as Record<string, unknown>;
  const where = `${o.kind as string} ${meta.namespace ? `${String(meta.namespace)}/` : ""}${String(meta.name)}`;
  const problems: string[] = [];

  try {
    new spec.model(obj as never).validate();
  } catch (e) {
    problems.push((e as Error).message);
  }

  const allowed = new Set(["apiVersion", "kind", "metadata", ...spec.fields]);
  for (const key of Object.keys(o))
    if (!allowed.has(key)) problems.push(`unknown field ${JSON.stringify(key)} for a ${o.kind as string}`);
  for (const key of Object.keys(meta))
    if (!METADATA_FIELDS.has(key)) problems.push(`unknown field "metadata.${key}"`);

  if (typeof meta.name !== "string") problems.push("metadata.name is missing");
  else {
    const bad = nameProblem(meta.name, spec.name);
    if (bad) problems.push(`metadata.name ${JSON.stringify(meta.name)} ${bad}`);
  }
  if (!spec.namespaced && meta.namespace !== undefined)
    problems.push(`a ${o.kind as string} is cluster-scoped but has metadata.namespace`);
  if (spec.namespaced && meta.namespace !== undefined) {
    const bad = typeof meta.namespace === "string" ? nameProblem(meta.namespace, "label") : "is not a string";
    if (bad) problems.push(`metadata.namespace ${JSON.stringify(meta.namespace)} ${bad}`);
  }
  if (meta.labels && typeof meta.labels === "object")
    problems.push(...labelProblems(meta.labels as Record<string, unknown>));

  if (problems.length > 0) throw new Error(`${where}: ${problems.join("; ")}`);
}
