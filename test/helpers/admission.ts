/**
 * An admission chain for tests: evaluates ValidatingAdmissionPolicies and their bindings, as the API server
 * does, against one admission request, with an independent CEL implementation (@bufbuild/cel and its strings
 * extension, which Kubernetes' CEL environment also has, and Kubernetes' IP and CIDR libraries: ./cel-net.ts).
 *
 * What it models (admissionregistration.k8s.io/v1): the policy's matchConstraints (resource rules with
 * operations, groups, versions, resources and subresources, scope, namespaceSelector), the binding's
 * matchResources, matchConditions (all must hold, else the policy does not apply), paramKind/paramRef with
 * namespaced ConfigMaps taken from the request's namespace, by name or by label selector (every one selected
 * must admit the request; none there: denied, parameterNotFoundAction Deny),
 * variables in order, validations (false: denied with the message; an evaluation error: denied, failurePolicy
 * Fail). Objects are handed to CEL as maps, integers as int.
 */
import { isCelError, run } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { netLibrary } from "./cel-net";
import { NAMESPACE_NAME_LABEL } from "../../components/core/labels";
import type { Plan } from "../../plan/plan";

type Json = Record<string, unknown>;

export interface PolicyPair {
  policy: Json;
  binding: Json;
}

export interface Request {
  operation: "CREATE" | "UPDATE" | "DELETE";
  /** The object's kind, as `request.kind`. */
  kind: { group: string; version: string; kind: string };
  /** The resource, as `request.resource` (plural, lowercase). */
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  namespace: string;
  name: string;
  user: { username: string; groups: string[] };
  object: Json | null;
  oldObject: Json | null;
}

export interface Cluster {
  /** Namespace name -> its labels. */
  namespaces: Record<string, Record<string, string>>;
  /** `<namespace>/<name>` -> the ConfigMap's labels and data. */
  configMaps: Record<string, { labels: Record<string, string>; data: Record<string, string> }>;
}

export type Decision =
  { allowed: true; applied: string[] } | { allowed: false; policy: string; message: string };

/** A JSON value as CEL sees an unstructured object: maps, lists, int for whole numbers. */
export function toCel(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map(toCel);
  if (typeof v === "number") return Number.isInteger(v) ? BigInt(v) : v;
  if (typeof v === "object") return new Map(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  return v;
}

/** Evaluates one expression; a CEL error is returned as an Error. */
export function evaluate(expression: string, vars: Record<string, unknown>): unknown {
  const result = run(expression, vars as never, { funcs: [...strings, ...netLibrary] } as never);
  return isCelError(result) ? new Error(`${expression}: ${String(result.message)}`) : result;
}

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function selects(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const ok =
      e.operator === "Exists"
        ? has
        : e.operator === "DoesNotExist"
          ? !has
          : e.operator === "In"
            ? has && (e.values ?? []).includes(labels[e.key]!)
            : e.operator === "NotIn"
              ? !has || !(e.values ?? []).includes(labels[e.key]!)
              : (() => {
                  throw new Error(`unknown selector operator ${e.operator}`);
                })();
    if (!ok) return false;
  }
  return true;
}

interface ResourceRule {
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  operations: string[];
  scope?: string;
}

const any = (list: string[], value: string) => list.includes("*") || list.includes(value);

/** Whether a rule matches, with Kubernetes' resource patterns: a star, star-slash-star, pods-slash-star, pods/exec. */
function ruleMatches(rule: ResourceRule, req: Request): boolean {
  if (!any(rule.operations, req.operation)) return false;
  if (!any(rule.apiGroups, req.resource.group) || !any(rule.apiVersions, req.resource.version)) return false;
  const scope = rule.scope ?? "*";
  if (scope === "Namespaced" && req.namespace === "") return false;
  if (scope === "Cluster" && req.namespace !== "") return false;
  const sub = req.subResource ?? "";
  return rule.resources.some((pattern) => {
    const [res, subPattern] = pattern.split("/") as [string, string | undefined];
    if (res !== "*" && res !== req.resource.resource) return false;
    if (subPattern === undefined) return sub === "";
    return subPattern === "*" || subPattern === sub;
  });
}

/** The decision of every policy (with its binding) on one request: the first denial, else allowed. */
export function admit(pairs: PolicyPair[], cluster: Cluster, req: Request): Decision {
  const applied: string[] = [];
  const nsLabels = cluster.namespaces[req.namespace] ?? {};
  for (const { policy, binding } of pairs) {
    const name = (policy.metadata as { name: string }).name;
    const spec = policy.spec as {
      matchConstraints: { namespaceSelector?: Selector; resourceRules: ResourceRule[] };
      matchConditions?: { name: string; expression: string }[];
      paramKind?: { apiVersion: string; kind: string };
      variables?: { name: string; expression: string }[];
      validations: { expression: string; message: string }[];
      failurePolicy: string;
    };
    const bspec = binding.spec as {
      policyName: string;
      paramRef?: {
        name?: string;
        namespace?: string;
        selector?: Selector;
        parameterNotFoundAction?: string;
      };
      matchResources?: { namespaceSelector?: Selector };
      validationActions: string[];
    };
    if (bspec.policyName !== name) throw new Error(`binding ${bspec.policyName} is not for policy ${name}`);
    if (!bspec.validationActions.includes("Deny")) throw new Error(`binding of ${name} does not deny`);
    if (spec.failurePolicy !== "Fail") throw new Error(`policy ${name} does not fail closed`);
    if (!spec.matchConstraints.resourceRules.some((r) => ruleMatches(r, req))) continue;
    if (req.namespace !== "" && !selects(spec.matchConstraints.namespaceSelector, nsLabels)) continue;
    if (req.namespace !== "" && !selects(bspec.matchResources?.namespaceSelector, nsLabels)) continue;

    const vars: Record<string, unknown> = {
      object: toCel(req.object),
      oldObject: toCel(req.oldObject),
      request: toCel({
        operation: req.operation,
        kind: req.kind,
        resource: req.resource,
        ...(req.subResource ? { subResource: req.subResource } : {}),
        namespace: req.namespace,
        name: req.name,
        userInfo: req.user,
      }),
    };
    const deny = (message: string): Decision => ({ allowed: false, policy: name, message });
    let skip = false;
    for (const c of spec.matchConditions ?? []) {
      const r = evaluate(c.expression, vars);
      if (r instanceof Error) return deny(`match condition ${c.name}: ${r.message}`);
      if (r !== true) skip = true;
    }
    if (skip) continue;
    let params: { name: string; data: Record<string, string> }[] | undefined;
    if (spec.paramKind) {
      if (spec.paramKind.apiVersion !== "v1" || spec.paramKind.kind !== "ConfigMap")
        throw new Error(`unsupported paramKind in ${name}`);
      const ref = bspec.paramRef;
      if (!ref) throw new Error(`policy ${name} has a paramKind but its binding no paramRef`);
      // name and selector are exclusive (admissionregistration/v1 ParamRef)
      if ((ref.name === undefined) === (ref.selector === undefined))
        throw new Error(`the paramRef of ${name} needs exactly one of name and selector`);
      const ns = ref.namespace ?? req.namespace;
      const found = Object.entries(cluster.configMaps)
        .filter(([key, cm]) =>
          ref.name !== undefined
            ? key === `${ns}/${ref.name}`
            : key.startsWith(`${ns}/`) && selects(ref.selector, cm.labels),
        )
        .map(([key, cm]) => ({ name: key.slice(ns.length + 1), data: cm.data }));
      if (found.length === 0) {
        if (ref.parameterNotFoundAction === "Deny")
          return deny(`no parameters for ${name} in ${req.namespace}`);
        continue;
      }
      params = found;
    }
    // the policy is evaluated once per parameter (or once without any); every evaluation must admit
    for (const p of params ?? [undefined]) {
      if (p) vars.params = toCel({ metadata: { name: p.name, namespace: req.namespace }, data: p.data });
      const variables = new Map<string, unknown>();
      vars.variables = variables;
      for (const v of spec.variables ?? []) {
        const r = evaluate(v.expression, vars);
        if (r instanceof Error) return deny(`variable ${v.name}: ${r.message}`);
        variables.set(v.name, r);
      }
      for (const v of spec.validations) {
        const r = evaluate(v.expression, vars);
        if (r instanceof Error) return deny(`error: ${r.message}`);
        if (r !== true) return deny(v.message);
      }
    }
    applied.push(name);
  }
  return { allowed: true, applied };
}

const GROUP_OF: Record<string, [string, string, string]> = {
  // kind -> [group, version, resource]
  Pod: ["", "v1", "pods"],
  Service: ["", "v1", "services"],
  PersistentVolumeClaim: ["", "v1", "persistentvolumeclaims"],
  ConfigMap: ["", "v1", "configmaps"],
  ServiceAccount: ["", "v1", "serviceaccounts"],
  Endpoints: ["", "v1", "endpoints"],
  EndpointSlice: ["discovery.k8s.io", "v1", "endpointslices"],
  Secret: ["", "v1", "secrets"],
  ResourceQuota: ["", "v1", "resourcequotas"],
  LimitRange: ["", "v1", "limitranges"],
  Ingress: ["networking.k8s.io", "v1", "ingresses"],
  NetworkPolicy: ["networking.k8s.io", "v1", "networkpolicies"],
  RoleBinding: ["rbac.authorization.k8s.io", "v1", "rolebindings"],
  Role: ["rbac.authorization.k8s.io", "v1", "roles"],
  HTTPRoute: ["gateway.networking.k8s.io", "v1", "httproutes"],
  GRPCRoute: ["gateway.networking.k8s.io", "v1", "grpcroutes"],
  Gateway: ["gateway.networking.k8s.io", "v1", "gateways"],
  Certificate: ["cert-manager.io", "v1", "certificates"],
  CertificateRequest: ["cert-manager.io", "v1", "certificaterequests"],
  Deployment: ["apps", "v1", "deployments"],
};

/** A request for an object (`object` for CREATE/UPDATE, `oldObject` for UPDATE/DELETE) by a user. */
export function request(
  operation: Request["operation"],
  user: Request["user"],
  object: Json | null,
  oldObject: Json | null = null,
  subResource?: string,
): Request {
  const obj = (object ?? oldObject)!;
  const kind = String(obj.kind);
  const gvr = GROUP_OF[kind];
  if (!gvr) throw new Error(`no resource known for kind ${kind}`);
  const meta = obj.metadata as { name: string; namespace: string };
  return {
    operation,
    kind: { group: gvr[0], version: gvr[1], kind },
    resource: { group: gvr[0], version: gvr[1], resource: gvr[2] },
    ...(subResource ? { subResource } : {}),
    namespace: meta.namespace,
    name: meta.name,
    user,
    object,
    oldObject,
  };
}

/**
 * The admission objects of a plan on one cluster (default: its first, the example's default): policies paired with
 * their bindings, the namespaces and parameters. Objects of no cluster (Vault, DNS) are left out anyway.
 */
export function clusterOf(plan: Plan, on = "main"): { pairs: PolicyPair[]; cluster: Cluster } {
  const resources = plan.stacks.flatMap((s) => s.resources).filter((r) => (r.cluster ?? on) === on);
  const of = (kind: string) => resources.filter((r) => r.inputs.kind === kind).map((r) => r.inputs as Json);
  const name = (o: Json) => (o.metadata as { name: string }).name;
  const bindings = new Map(of("ValidatingAdmissionPolicyBinding").map((b) => [name(b), b]));
  const pairs = of("ValidatingAdmissionPolicy").map((policy) => ({
    policy,
    binding: bindings.get(name(policy))!,
  }));
  const cluster: Cluster = { namespaces: {}, configMaps: {} };
  for (const ns of of("Namespace")) {
    const meta = ns.metadata as { name: string; labels?: Record<string, string> };
    // the API server sets this label on every namespace
    cluster.namespaces[meta.name] = { ...meta.labels, [NAMESPACE_NAME_LABEL]: meta.name };
  }
  for (const cm of of("ConfigMap")) {
    const meta = cm.metadata as { name: string; namespace: string; labels?: Record<string, string> };
    cluster.configMaps[`${meta.namespace}/${meta.name}`] = {
      labels: meta.labels ?? {},
      data: cm.data as Record<string, string>,
    };
  }
  return { pairs, cluster };
}
