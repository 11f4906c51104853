/**
 * The building blocks of the admission policies (ARCHITECTURE.md, "Admission"): CEL as the API server evaluates it,
 * without optional types (`.?`), so that the tests evaluate the very same text with an independent CEL
 * implementation. Every value from the environment or the registry enters an expression as a JSON-quoted string
 * literal (JSON's escapes are CEL's), never as code.
 */
import type { KubernetesManifest } from "../core/spec";
import type { AdmissionPolicyName } from "./schema";
import type { EnvironmentModel } from "../../registry/model";
import { MANAGED_BY, NAMESPACE_NAME_LABEL, TENANT_LABEL } from "../core/labels";
import { ADMISSION_PARAMS_LABELS, type AdmissionParams, SEP } from "./params";

export type Json = Record<string, unknown>;

export interface AdmissionPolicy {
  /** Which environment switch turns it on (`admission.policies.<name>`). */
  name: AdmissionPolicyName;
  policy: KubernetesManifest;
  binding: KubernetesManifest;
}

// CEL building blocks

export const lit = (s: string) => JSON.stringify(s);
export const list = (xs: readonly string[]) => `[${xs.map(lit).join(", ")}]`;
export const USER = "request.userInfo.username";
export const MANAGED_KEY = Object.keys(MANAGED_BY)[0]!;
export const MANAGED_VALUE = Object.values(MANAGED_BY)[0]!;

/**
 * Whether label selector `s` pins namespaces by the immutable `kubernetes.io/metadata.name` label, each name
 * satisfying `ok(v)` (a CEL predicate over `v`): `matchLabels`, or an `In` expression with at least one value. What
 * a NetworkPolicy peer and a Gateway listener's route selector must do to name only allowed namespaces.
 */
export function pinsNamespaces(s: string, ok: (v: string) => string): string {
  const name = lit(NAMESPACE_NAME_LABEL);
  return (
    `((has(${s}.matchLabels) && ${name} in ${s}.matchLabels && ${ok(`${s}.matchLabels[${name}]`)}) || ` +
    `(has(${s}.matchExpressions) && ${s}.matchExpressions.exists(x, x.key == ${name} && x.operator == "In" && has(x.values) && x.values.size() > 0 && x.values.all(v, ${ok("v")}))))`
  );
}

/** The label cert-manager puts on the pod, Service and Ingress of an HTTP-01 challenge (pkg/issuer/acme/http). */
const HTTP01_SOLVER = "acme.cert-manager.io/http01-solver";

/**
 * cert-manager's HTTP-01 solver objects, made by its controller (the environment's
 * `admission.components.certManager`) for a Certificate of the tenant's: its own image, pull policy and Service
 * type (NodePort by default), which no tier lists. A tenant cannot run as that service account.
 */
export function certManagerSolver(env: EnvironmentModel): string {
  return `(${USER} in ${list(env.admission.components.certManager)} && object != null && has(object.metadata.labels) && ${lit(HTTP01_SOLVER)} in object.metadata.labels && object.metadata.labels[${lit(HTTP01_SOLVER)}] == "true")`;
}

/**
 * What cert-manager's controller makes from a Certificate, copying its labels: the CertificateRequest
 * (pkg/controller/certificates/requestmanager) and, for ACME issuers, the Order made from that (pkg/issuer/acme,
 * buildOrder). From the platform's own Certificates (namespace TLS, app instances) they carry the platform's
 * label, so the platform-objects policy lets cert-manager's controller write these two kinds.
 */
export function certManagerDerived(env: EnvironmentModel): string {
  return `(${USER} in ${list(env.admission.components.certManager)} && (request.resource.group == "cert-manager.io" && request.resource.resource == "certificaterequests" || request.resource.group == "acme.cert-manager.io" && request.resource.resource == "orders"))`;
}

/** The principals `pulumi up` runs as (the environment's `admission.platform`). */
export function platformPrincipal(env: EnvironmentModel): string {
  const { users, groups } = env.admission.platform;
  return `(${USER} in ${list(users)} || (has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in ${list(groups)})))`;
}
/**
 * Kubernetes' own controllers (garbage collector, namespace deletion, volume binder, ClusterRole aggregation):
 * service accounts of kube-system, which no tenant can create, or the controller manager's own user.
 */
export const CONTROLLERS = `(${USER} == "system:kube-controller-manager" || ${USER}.startsWith("system:serviceaccount:kube-system:"))`;

/** A parameter list, as a CEL expression: the ConfigMap key split into its entries. */
export const param = (key: keyof AdmissionParams) =>
  `params.data[${lit(key)}].split(${lit(SEP)}).filter(x, x != "")`;
/** Whether a hostname (variable `h`) is one of the tenant's hostnames or below one. */
export const hostOk = (h: string) =>
  `variables.domains.exists(d, ${h}.lowerAscii() == d || ${h}.lowerAscii().endsWith("." + d))`;
export const labelled = (obj: string) =>
  `(${obj} != null && has(${obj}.metadata.labels) && ${lit(MANAGED_KEY)} in ${obj}.metadata.labels && ${obj}.metadata.labels[${lit(MANAGED_KEY)}] == ${lit(MANAGED_VALUE)})`;
export const kindIs = (...kinds: string[]) =>
  kinds.length === 1 ? `request.kind.kind == ${lit(kinds[0]!)}` : `request.kind.kind in ${list(kinds)}`;
/** `validation` applies only to objects of these kinds. */
export const forKind = (kinds: string[], validation: string) => `!(${kindIs(...kinds)}) || (${validation})`;

export const TENANT_NAMESPACES = { matchExpressions: [{ key: TENANT_LABEL, operator: "Exists" }] };
export const rule = (apiGroups: string[], resources: string[], operations: string[]) => ({
  apiGroups,
  apiVersions: ["*"],
  resources,
  operations,
  scope: "Namespaced",
});
export const WRITE = ["CREATE", "UPDATE"];

export interface Validation {
  expression: string;
  message: string;
  reason?: string;
}

export function admissionPolicy(
  env: EnvironmentModel,
  name: AdmissionPolicyName,
  spec: {
    description: string;
    rules: Json[];
    namespaceSelector?: Json;
    params: boolean;
    /** Who the policy does not apply to: the platform always, the controllers where they must change objects. */
    exempt: string;
    variables?: [string, string][];
    validations: Validation[];
  },
): AdmissionPolicy {
  const objectName = `tenancy-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const namespaceSelector = spec.namespaceSelector ?? TENANT_NAMESPACES;
  const metadata = {
    name: objectName,
    labels: { ...MANAGED_BY },
    annotations: { "tenancy.io/description": spec.description },
  };
  return {
    name,
    policy: {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata,
      spec: {
        failurePolicy: "Fail",
        ...(spec.params ? { paramKind: { apiVersion: "v1", kind: "ConfigMap" } } : {}),
        matchConstraints: { namespaceSelector, resourceRules: spec.rules },
        matchConditions: [{ name: "not-exempt", expression: `!(${spec.exempt})` }],
        ...(spec.variables
          ? { variables: spec.variables.map(([n, expression]) => ({ name: n, expression })) }
          : {}),
        validations: spec.validations.map((v) => ({ reason: "Forbidden", ...v })),
      },
    },
    binding: {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name: objectName, labels: { ...MANAGED_BY } },
      spec: {
        policyName: objectName,
        validationActions: ["Deny"],
        // a namespaced parameter without a namespace: those in the request's namespace the selector picks (each
        // must admit the request); none there, denied
        ...(spec.params
          ? {
              paramRef: {
                selector: { matchLabels: { ...ADMISSION_PARAMS_LABELS } },
                parameterNotFoundAction: "Deny",
              },
            }
          : {}),
        matchResources: { namespaceSelector },
      },
    },
  };
}
