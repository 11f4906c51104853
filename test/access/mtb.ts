/**
 * The Kubernetes Multi-Tenancy Benchmark (MTB, kubernetes-sigs/multi-tenancy, benchmarks/) run on a plan, the way
 * kubectl-mtb runs it on a cluster: each check's hostile action (a pod with hostPID, a NodePort Service, a write
 * to the quota, a read of cluster-scoped resources ...) attempted as the tenant under test, and seen refused, or
 * the required object seen present with the required values. Used by test/access/mtb.test.ts (every check, and
 * controls showing each can fail) and scripts/gen-benchmark.ts (the table in docs/admission.md, "The
 * multi-tenancy benchmark"; test/docs/benchmark.test.ts fails when the two differ). ARCHITECTURE.md, "Admission".
 *
 * The list (ids and titles as the source writes them): benchmarks/README.md at kubernetes-sigs/multi-tenancy
 * master lists 23 benchmarks. kubectl-mtb implements 18 of them (test/benchmarks/<dir>/config.yaml: id, title;
 * its README lists one of those, Block access to other tenant resources, as still pending, and a second, Create
 * Role Bindings, as "Allow self-service management of Roles Bindings", pending). Five have no implementation:
 * "Allow self-service management of Roles" (level 2, #1202), checked here with the 18 (19), and the four of
 * profile level 1 still pending (#1198-#1201). A pending benchmark has no id: it is shown as `pending #<issue>`.
 *
 * What a request meets, in the order the API server applies it: RBAC (the access matrix, plan/access.ts, asked
 * like `kubectl auth can-i`: plan/can-i.ts), Pod Security admission at the namespace's planned `enforce` level
 * (test/helpers/pod-security.ts), the ResourceQuota admission plugin on the planned quota's object counts, and the
 * planned ValidatingAdmissionPolicies (test/helpers/admission.ts). Network reach: the planned NetworkPolicies,
 * plus those a hostile tenant gets admitted, evaluated by NetworkPolicy semantics (below).
 */
import { canI } from "../../plan/can-i";
import { type AccessRow, accessMatrix } from "../../plan/access";
import { type Plan, buildPlan } from "../../plan/plan";
import type { RegistryModel, TenantModel } from "../../registry/model";
import { LAYERS } from "../../stacks/layers";
import {
  CLUSTER_SCOPED_RESOURCES,
  groupResource,
  tenantPrincipal,
  tenantSubject,
} from "../../components/members/rbac";
import { MANAGED_BY, TENANT_LABEL } from "../../components/core/labels";
import { type Cluster, type PolicyPair, type Request, admit, clusterOf, request } from "../helpers/admission";
import { type PodSecurityLevel, podSecurityViolations } from "../helpers/pod-security";

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------
// The checks as the source lists them
// ---------------------------------------------------------------------------------------------------------

const KUBECTL_MTB = "benchmarks/kubectl-mtb/test/benchmarks";

export interface Outcome {
  status: "pass" | "fail" | "not applicable";
  /** What the check saw that it must not (fail), or why it does not apply. Empty on a pass. */
  findings: string[];
  /** What refused the hostile actions or provided the required objects, as observed in this run. */
  evidence: string[];
  /** What the check leaves aside, as the registry or the platform declares it (a cluster-wide role, an invitation). */
  exceptions: string[];
}

export interface MtbCheck {
  /** As the source writes it; a pending benchmark has none: `pending #<issue>`. */
  id: string;
  /** As the source writes it (config.yaml's title, or benchmarks/README.md's for a pending one). */
  title: string;
  profileLevel: 1 | 2;
  /** Where it is defined: kubectl-mtb's benchmark directory, or the pending issue. */
  source: string;
  /** How tenancy satisfies it, in a sentence (the run's evidence is added in the table). */
  mechanism: string;
  /** The check, as kubectl-mtb performs it (or, pending, as its title asks), on the prepared plan. */
  run(b: Bench): Outcome;
}

// ---------------------------------------------------------------------------------------------------------
// The plan, the tenant under test and what a request meets
// ---------------------------------------------------------------------------------------------------------

export interface Bench {
  model: RegistryModel;
  plan: Plan;
  rows: AccessRow[];
  pairs: PolicyPair[];
  cluster: Cluster;
  /** The cluster checked: the environment's default. */
  on: string;
  /** The tenant under test: the first on the default tier with the default role, not offboarding. */
  tenant: TenantModel;
  /** Its first namespace on that cluster (kubectl-mtb's `-n`). */
  namespace: string;
  /** The Kubernetes objects planned on that cluster. */
  objects: Json[];
}

interface Actor {
  tenant: TenantModel;
  principal: string;
  user: Request["user"];
}

export function actorOf(model: RegistryModel, tenant: TenantModel): Actor {
  const subject = tenantSubject(model.environment, tenant);
  return {
    tenant,
    principal: tenantPrincipal(model.environment, tenant),
    user:
      subject.kind === "User"
        ? { username: subject.name, groups: ["system:authenticated"] }
        : { username: `oidc:${tenant.email}`, groups: [subject.name, "system:authenticated"] },
  };
}

/** Prepares the benchmark on a planned registry (the example's, for the docs). */
export async function prepareBench(model: RegistryModel, plan?: Plan): Promise<Bench> {
  const planned = plan ?? (await buildPlan(model, LAYERS));
  const env = model.environment;
  const on = (env.clusters.find((c) => c.default) ?? env.clusters[0]!).name;
  const defaultTier = (env as unknown as { defaults: { tier: string } }).defaults.tier;
  const tenant = model.tenants.find(
    (t) => t.tier === defaultTier && t.role === "namespace-owner" && !t.offboarding,
  );
  if (!tenant) throw new Error(`no active tenant on the default tier ${defaultTier} with the default role`);
  const namespace = tenant.namespaces.find((n) => n.clusters.includes(on) && !n.offboarding)?.name;
  if (!namespace) throw new Error(`${tenant.id} has no namespace on ${on}`);
  const { pairs, cluster } = clusterOf(planned, on);
  const objects = planned.stacks
    .flatMap((s) => s.resources)
    .filter((r) => r.type.startsWith("kubernetes:") && (r.cluster ?? on) === on)
    .map((r) => r.inputs as Json)
    .filter((o) => typeof o.kind === "string" && typeof o.metadata === "object");
  return {
    model,
    plan: planned,
    rows: accessMatrix(model, planned),
    pairs,
    cluster,
    on,
    tenant,
    namespace,
    objects,
  };
}

const [MANAGED_BY_LABEL, MANAGED_BY_VALUE] = Object.entries(MANAGED_BY)[0]!;

const metaOf = (o: Json) =>
  o.metadata as { name: string; namespace?: string; labels?: Record<string, string> };

/** The RBAC resource of a kind, as the access matrix names it (`pods`, `apps/deployments`). */
function rbacResource(r: Request): string {
  return groupResource(r.resource.group, r.resource.resource + (r.subResource ? `/${r.subResource}` : ""));
}

const VERB_OF: Record<Request["operation"], string> = {
  CREATE: "create",
  UPDATE: "update",
  DELETE: "delete",
};

/** May `actor` do `verb` on `resource` (in `namespace`, or at cluster scope)? With the reason either way. */
function may(b: Bench, actor: Actor, verb: string, resource: string, namespace?: string) {
  return canI(b.rows, {
    principal: actor.principal,
    verb,
    resource,
    cluster: b.on,
    ...(namespace !== undefined ? { namespace } : {}),
  });
}

/** The namespace's Pod Security `enforce` level, as planned (none: privileged, as the API server reads it). */
function enforceLevel(b: Bench, namespace: string): PodSecurityLevel {
  const level = b.cluster.namespaces[namespace]?.["pod-security.kubernetes.io/enforce"];
  return (level ?? "privileged") as PodSecurityLevel;
}

const POD_KINDS = new Set(["Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"]);

/** Quota object counts the ResourceQuota plugin checks on a create (those the checks need). */
function quotaRefusal(b: Bench, obj: Json): string | undefined {
  const ns = metaOf(obj).namespace!;
  const hard = b.objects
    .filter((o) => o.kind === "ResourceQuota" && metaOf(o).namespace === ns)
    .map((o) => ((o.spec as Json | undefined)?.hard ?? {}) as Record<string, string | number>);
  const counted: string[] = [];
  if (obj.kind === "Service") {
    const type = (obj.spec as Json | undefined)?.type;
    if (type === "NodePort" || type === "LoadBalancer") counted.push("services.nodeports");
    if (type === "LoadBalancer") counted.push("services.loadbalancers");
  }
  for (const key of counted)
    for (const h of hard)
      if (h[key] !== undefined && Number(h[key]) < 1) return `ResourceQuota ${key}: ${h[key]}`;
  return undefined;
}

export interface Attempt {
  allowed: boolean;
  /** Every refusal, each `<what>: <why>` (RBAC, Pod Security, ResourceQuota, a policy's name). */
  refusals: string[];
}

/** A write by `actor`, through every stage (all are evaluated, so that every refusal is seen). */
export function attempt(
  b: Bench,
  actor: Actor,
  operation: Request["operation"],
  object: Json | null,
  oldObject: Json | null = null,
): Attempt {
  const req = request(operation, actor.user, object, oldObject);
  const refusals: string[] = [];
  const rbac = may(b, actor, VERB_OF[operation], rbacResource(req), req.namespace || undefined);
  if (!rbac.allowed) refusals.push(`RBAC: ${rbac.reason}`);
  if (object && operation !== "DELETE" && POD_KINDS.has(String(object.kind))) {
    const level = enforceLevel(b, req.namespace);
    for (const v of podSecurityViolations(object, level)) refusals.push(`Pod Security ${level}: ${v}`);
  }
  if (object && operation === "CREATE") {
    const q = quotaRefusal(b, object);
    if (q) refusals.push(q);
  }
  const d = admit(b.pairs, b.cluster, req);
  if (!d.allowed) refusals.push(`${d.policy}: ${d.message}`);
  return { allowed: refusals.length === 0, refusals };
}

/** `Pod Security restricted: host namespaces (...)` -> `Pod Security restricted: host namespaces`. */
function short(refusal: string): string {
  if (refusal.startsWith("RBAC: ")) return "RBAC";
  if (refusal.startsWith("Pod Security ")) return refusal.replace(/ \(.*$/, "");
  if (refusal.startsWith("ResourceQuota ")) return refusal;
  return `\`${refusal.split(":")[0]}\``;
}

// ---------------------------------------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------------------------------------

class Collector {
  findings: string[] = [];
  evidence = new Set<string>();
  exceptions: string[] = [];
  fail(finding: string) {
    this.findings.push(finding);
  }
  saw(...what: string[]) {
    for (const w of what) this.evidence.add(w);
  }
  /** The hostile action must be refused; with `by`, by a refusal matching it (the stage the check is about). */
  refused(what: string, a: Attempt, by?: RegExp, quiet = false) {
    if (a.allowed) return this.fail(`${what}: admitted`);
    const matching = by ? a.refusals.filter((r) => by.test(r)) : a.refusals;
    if (matching.length === 0) return this.fail(`${what}: refused only by ${a.refusals.join("; ")}`);
    if (!quiet) this.saw(...matching.map(short));
  }
  /** A control: what a tenant does every day must pass, else the refusals above prove nothing. */
  admitted(what: string, a: Attempt) {
    if (!a.allowed) this.fail(`${what} (control): refused: ${a.refusals.join("; ")}`);
  }
  outcome(): Outcome {
    return {
      status: this.findings.length === 0 ? "pass" : "fail",
      findings: this.findings,
      evidence: [...this.evidence],
      exceptions: this.exceptions,
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Pods as kubectl-mtb makes them, and as a tenant of the tier would
// ---------------------------------------------------------------------------------------------------------

interface MtbPod {
  hostNetwork?: boolean;
  hostIPC?: boolean;
  hostPID?: boolean;
  runAsNonRoot?: boolean;
  privileged?: boolean;
  capabilities?: string[];
  ports?: Json[];
  allowPrivilegeEscalation?: boolean;
  imagePullPolicy?: string;
  volumes?: Json[];
}

/**
 * kubectl-mtb's pod (test/utils/resources/pod/pod.go, `MakeSecPod` after `SetDefaults`): its e2e busybox image,
 * zero resources, the pod and container security context it sets, `imagePullPolicy` defaulting to Always.
 */
export function mtbPod(namespace: string, p: MtbPod): Json {
  const volumes = p.volumes ?? [];
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "security-context-mtb", namespace },
    spec: {
      hostNetwork: p.hostNetwork ?? false,
      hostIPC: p.hostIPC ?? false,
      hostPID: p.hostPID ?? false,
      securityContext: { fsGroup: 1000, runAsNonRoot: p.runAsNonRoot ?? false },
      containers: [
        {
          name: "write-pod",
          image: "gcr.io/kubernetes-e2e-test-images/busybox:1.29",
          imagePullPolicy: p.imagePullPolicy ?? "Always",
          resources: { limits: { cpu: "0m", memory: "0Gi" }, requests: { cpu: "0m", memory: "0Gi" } },
          command: ["/bin/sh"],
          args: ["-c", "trap exit TERM; while true; do sleep 1; done"],
          ...(p.ports ? { ports: p.ports } : {}),
          securityContext: {
            runAsNonRoot: p.runAsNonRoot ?? false,
            privileged: p.privileged ?? false,
            capabilities: { add: p.capabilities ?? [] },
            allowPrivilegeEscalation: p.allowPrivilegeEscalation ?? false,
          },
          volumeMounts: volumes.map((_, i) => ({ name: `volume${i + 1}`, mountPath: `/mnt/volume${i + 1}` })),
          volumeDevices: [],
        },
      ],
      restartPolicy: "OnFailure",
      volumes: volumes.map((v, i) => ({ name: `volume${i + 1}`, ...v })),
    },
  };
}

/**
 * A pod the tier admits: restricted Pod Security, an image from the tier's first registry, pulled Always. The
 * checks change one field of it: refused then, the refusal is that field's.
 */
export function tierPod(
  b: Bench,
  namespace: string,
  edit: (pod: Json, container: Json) => void = () => {},
): Json {
  const params = b.cluster.configMaps[`${namespace}/tenancy-admission`]?.data ?? {};
  const registry = (params.registries ?? "").split("\n").find((r) => r !== "" && r !== "*") ?? "docker.io";
  const container: Json = {
    name: "app",
    image: `${registry}/library/busybox:1.36`,
    imagePullPolicy: "Always",
    command: ["sleep", "3600"],
    resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsNonRoot: true },
  };
  const pod: Json = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "app", namespace },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } },
      containers: [container],
    },
  };
  edit(pod, container);
  return pod;
}

const spec = (pod: Json) => pod.spec as Json;
const securityContext = (c: Json) => c.securityContext as Json;

/**
 * A pod check as kubectl-mtb runs it: PreRun, the tenant may create pods; Run, its pod with the hostile field
 * is refused. Then the tier's own pod is admitted (control), and with that field alone it is refused by `by`.
 */
function podCheck(
  b: Bench,
  mtb: MtbPod | MtbPod[],
  variants: [string, (pod: Json, container: Json) => void][],
  by: RegExp,
): Outcome {
  const c = new Collector();
  const alice = actorOf(b.model, b.tenant);
  const pre = may(b, alice, "create", "pods", b.namespace);
  if (!pre.allowed) c.fail(`PreRun: the tenant cannot create pods at all (${pre.reason})`);
  for (const p of Array.isArray(mtb) ? mtb : [mtb])
    c.refused("kubectl-mtb's pod", attempt(b, alice, "CREATE", mtbPod(b.namespace, p)), undefined, true);
  c.admitted("the tier's pod", attempt(b, alice, "CREATE", tierPod(b, b.namespace)));
  for (const [what, edit] of variants)
    c.refused(`the tier's pod with ${what}`, attempt(b, alice, "CREATE", tierPod(b, b.namespace, edit)), by);
  return c.outcome();
}

// ---------------------------------------------------------------------------------------------------------
// Namespaced resources: a 1.30 cluster's discovery (kubectl api-resources --namespaced=true), the CRDs the
// plan uses, and every resource any access row names, so that no grant goes unasked
// ---------------------------------------------------------------------------------------------------------

const NAMESPACED_1_30 = [
  ...[
    "bindings",
    "configmaps",
    "endpoints",
    "events",
    "limitranges",
    "persistentvolumeclaims",
    "pods",
    "podtemplates",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "serviceaccounts",
    "services",
  ],
  ...["controllerrevisions", "daemonsets", "deployments", "replicasets", "statefulsets"].map(
    (r) => `apps/${r}`,
  ),
  "authorization.k8s.io/localsubjectaccessreviews",
  "autoscaling/horizontalpodautoscalers",
  "batch/cronjobs",
  "batch/jobs",
  "coordination.k8s.io/leases",
  "discovery.k8s.io/endpointslices",
  "events.k8s.io/events",
  "networking.k8s.io/ingresses",
  "networking.k8s.io/networkpolicies",
  "policy/poddisruptionbudgets",
  "rbac.authorization.k8s.io/rolebindings",
  "rbac.authorization.k8s.io/roles",
  "storage.k8s.io/csistoragecapacities",
];

const ALL_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];

function namespacedResources(b: Bench): string[] {
  const out = new Set(NAMESPACED_1_30);
  for (const o of b.objects)
    if (metaOf(o).namespace !== undefined) {
      const [group] = String(o.apiVersion).split("/").reverse().slice(1);
      out.add(groupResource(group ?? "", `${String(o.kind).toLowerCase()}s`));
    }
  for (const r of b.rows)
    if (r.system === "kubernetes" && r.scope.startsWith("namespace:") && !r.verbs.includes("(aggregated)"))
      out.add(r.resource);
  return [...out].sort();
}

function clusterScopedResources(b: Bench): string[] {
  const out = new Set(CLUSTER_SCOPED_RESOURCES);
  for (const r of b.rows) if (r.system === "kubernetes" && r.scope === "cluster") out.add(r.resource);
  return [...out].sort();
}

// ---------------------------------------------------------------------------------------------------------
// Network reach, by NetworkPolicy semantics (networking.k8s.io/v1): a pod selected by a policy of a type is
// isolated for that direction; a connection needs the source's egress and the destination's ingress to allow
// it (a peer: namespaceSelector and podSelector together, podSelector alone in the policy's namespace, ipBlock
// with its excepts; ports by number and protocol, an absent list any port). Pods get addresses in the pod range.
// ---------------------------------------------------------------------------------------------------------

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

function selects(s: Selector | undefined, labels: Record<string, string>): boolean {
  if (!s) return true;
  for (const [k, v] of Object.entries(s.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of s.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    const ok =
      e.operator === "In"
        ? inValues
        : e.operator === "NotIn"
          ? !inValues
          : e.operator === "Exists"
            ? has
            : e.operator === "DoesNotExist"
              ? !has
              : (() => {
                  throw new Error(`unknown operator ${e.operator}`);
                })();
    if (!ok) return false;
  }
  return true;
}

const ipv4 = (ip: string) => ip.split(".").reduce((n, p) => n * 256 + Number(p), 0);
function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/") as [string, string];
  if (base.includes(":") || ip.includes(":")) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4(ip) / size) === Math.floor(ipv4(base) / size);
}

export interface NetPod {
  namespace: string;
  labels: Record<string, string>;
  ip: string;
}

interface Peer {
  namespaceSelector?: Selector;
  podSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: { port?: number | string; protocol?: string; endPort?: number }[];
}
interface NetPolicySpec {
  podSelector: Selector;
  policyTypes?: string[];
  ingress?: Rule[];
  egress?: Rule[];
}

function peerMatches(peer: Peer, policyNs: string, pod: NetPod, nsLabels: Cluster["namespaces"]): boolean {
  if (peer.ipBlock)
    return inCidr(pod.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((e) => inCidr(pod.ip, e));
  if (peer.namespaceSelector) {
    if (!selects(peer.namespaceSelector, nsLabels[pod.namespace] ?? {})) return false;
  } else if (pod.namespace !== policyNs) return false;
  return selects(peer.podSelector, pod.labels);
}

function portMatches(rule: Rule, port: number, protocol: string): boolean {
  if (!rule.ports || rule.ports.length === 0) return true;
  return rule.ports.some(
    (p) =>
      (p.protocol ?? "TCP") === protocol &&
      (p.port === undefined ||
        p.port === port ||
        (typeof p.port === "number" && p.endPort !== undefined
          ? port >= p.port && port <= p.endPort
          : false)),
  );
}

/** Whether `from` reaches `to` on `port`, under `policies` (namespace -> its NetworkPolicies' specs). */
export function reaches(
  policies: Map<string, NetPolicySpec[]>,
  nsLabels: Cluster["namespaces"],
  from: NetPod,
  to: NetPod,
  port: number,
  protocol = "TCP",
): boolean {
  const types = (p: NetPolicySpec) => p.policyTypes ?? (p.egress ? ["Ingress", "Egress"] : ["Ingress"]);
  const side = (pod: NetPod, type: "Ingress" | "Egress", other: NetPod) => {
    const selecting = (policies.get(pod.namespace) ?? []).filter(
      (p) => types(p).includes(type) && selects(p.podSelector, pod.labels),
    );
    if (selecting.length === 0) return true;
    return selecting.some((p) =>
      ((type === "Ingress" ? p.ingress : p.egress) ?? []).some((rule) => {
        const peers = type === "Ingress" ? rule.from : rule.to;
        const peerOk =
          !peers ||
          peers.length === 0 ||
          peers.some((peer) => peerMatches(peer, pod.namespace, other, nsLabels));
        return peerOk && portMatches(rule, port, protocol);
      }),
    );
  };
  return side(from, "Egress", to) && side(to, "Ingress", from);
}

function plannedPolicies(b: Bench): Map<string, NetPolicySpec[]> {
  const out = new Map<string, NetPolicySpec[]>();
  for (const o of b.objects)
    if (o.kind === "NetworkPolicy") {
      const ns = metaOf(o).namespace!;
      out.set(ns, [...(out.get(ns) ?? []), o.spec as NetPolicySpec]);
    }
  return out;
}

/** NetworkPolicies a tenant writes to open its namespace to another tenant's (`other`), every way it can. */
function openingPolicies(namespace: string, other: string, otherTenant: string): Json[] {
  const np = (name: string, specOf: Json): Json => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace },
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ...specOf },
  });
  const byName = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": other } } };
  const byTenant = { namespaceSelector: { matchLabels: { [TENANT_LABEL]: otherTenant } } };
  return [
    np("mtb-allow-all", { ingress: [{}], egress: [{}] }),
    np("mtb-any-namespace", {
      ingress: [{ from: [{ namespaceSelector: {} }] }],
      egress: [{ to: [{ namespaceSelector: {} }] }],
    }),
    np("mtb-by-name", { ingress: [{ from: [byName] }], egress: [{ to: [byName] }] }),
    np("mtb-by-tenant", { ingress: [{ from: [byTenant] }], egress: [{ to: [byTenant] }] }),
    np("mtb-pod-range", {
      ingress: [{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }],
      egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }],
    }),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------------------

const HOST_NAMESPACES = /^Pod Security \w+: host namespaces/;

/** Other active tenants, and whether the registry gives them reach beyond their own namespaces. */
function otherTenants(b: Bench): TenantModel[] {
  return b.model.tenants.filter((t) => t.id !== b.tenant.id);
}

function namespacesOn(b: Bench, t: TenantModel): string[] {
  return t.namespaces.filter((n) => n.clusters.includes(b.on)).map((n) => n.name);
}

/** Namespaces of `owner` that `guest` is invited into. */
function invitedInto(owner: TenantModel, guest: TenantModel): Set<string> {
  return new Set(owner.members.filter((m) => m.tenant === guest.id).flatMap((m) => m.namespaces));
}

export const CHECKS: MtbCheck[] = [
  {
    id: "MTB-PL1-CC-CPI-1",
    title: "Block access to cluster resources",
    profileLevel: 1,
    source: `${KUBECTL_MTB}/block_access_to_cluster_resources`,
    mechanism:
      "a namespace owner has no binding at cluster scope (a tier's `clusterReader` would grant read of the " +
      "class objects through `tenancy-cluster-reader`; off by default)",
    run(b) {
      // kubectl-mtb: a SelfSubjectAccessReview per non-namespaced resource (discovery) and verb, namespace ""
      const c = new Collector();
      const alice = actorOf(b.model, b.tenant);
      // one finding per set of verbs and grants: the resources they reach
      const found = new Map<string, string[]>();
      for (const resource of clusterScopedResources(b)) {
        const granted = ALL_VERBS.map((verb) => may(b, alice, verb, resource)).filter((a) => a.allowed);
        if (granted.length === 0) continue;
        const how = `${granted.map((a) => a.verb).join(", ")} of %s (${[...new Set(granted.flatMap((a) => a.via))].join(", ")})`;
        found.set(how, [...(found.get(how) ?? []), resource]);
      }
      for (const [how, resources] of found) c.fail(how.replace("%s", resources.join(", ")));
      c.saw("RBAC");
      return c.outcome();
    },
  },
  {
    id: "MTB-PL1-BC-CPI-2",
    title: "Block Multitenant Resources",
    profileLevel: 1,
    source: `${KUBECTL_MTB}/block_multitenant_resources`,
    mechanism:
      "every object the platform makes in a tenant namespace carries `app.kubernetes.io/managed-by: tenancy`; " +
      "changing or deleting one is refused",
    run(b) {
      // kubectl-mtb: every namespaced object labelled with the admin's label (here managed-by=tenancy) is
      // deleted, dry run, as the tenant; the audit annotates it too. Each must be refused.
      const c = new Collector();
      const alice = actorOf(b.model, b.tenant);
      const mine = b.objects.filter(
        (o) =>
          metaOf(o).namespace === b.namespace && metaOf(o).labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE,
      );
      if (mine.length === 0)
        c.fail(`no object labelled ${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE} in ${b.namespace}`);
      for (const o of mine) {
        const what = `${String(o.kind)} ${metaOf(o).name}`;
        c.refused(`delete ${what}`, attempt(b, alice, "DELETE", null, o));
        const annotated = {
          ...o,
          metadata: {
            ...metaOf(o),
            annotations: { ...((metaOf(o) as Json).annotations as Json), key1: "value1" },
          },
        };
        c.refused(`annotate ${what}`, attempt(b, alice, "UPDATE", annotated, o));
      }
      c.saw(`${mine.length} objects`);
      return c.outcome();
    },
  },
  {
    id: "MTB-PL1-BC-CPI-3",
    title: "Block add capabilities",
    profileLevel: 1,
    source: `${KUBECTL_MTB}/block_add_capabilities`,
    mechanism: "Pod Security `restricted` on every tenant namespace: only NET_BIND_SERVICE may be added",
    run: (b) =>
      podCheck(
        b,
        { capabilities: ["SETPCAP"], runAsNonRoot: true },
        [
          [
            "capabilities.add SETPCAP",
            (_, c) => ((securityContext(c).capabilities as Json).add = ["SETPCAP"]),
          ],
        ],
        /^Pod Security \w+: (unrestricted|non-default) capabilities/,
      ),
  },
  {
    id: "MTB-PL1-BC-CPI-4",
    title: "Require run as non-root user",
    profileLevel: 1,
    source: `${KUBECTL_MTB}/require_run_as_non_root_user`,
    mechanism: "Pod Security `restricted`: runAsNonRoot required, runAsUser 0 refused",
    run: (b) =>
      podCheck(
        b,
        { runAsNonRoot: false },
        [
          [
            "runAsNonRoot false",
            (p, c) => {
              (spec(p).securityContext as Json).runAsNonRoot = false;
              delete (spec(p).securityContext as Json).runAsUser;
              securityContext(c).runAsNonRoot = false;
            },
          ],
          ["runAsUser 0", (p) => ((spec(p).securityContext as Json).runAsUser = 0)],
        ],
        /^Pod Security \w+: (runAsNonRoot|runAsUser=0)/,
      ),
  },
  {
    id: "MTB-PL1-BC-CPI-5",
    title: "Block privileged containers",
    profileLevel: 1,
    source: `${KUBECTL_MTB}/block_privileged_containers`,
    mechanism: "Pod Security `restricted` (baseline and up)",
    run: (b) =>
      podCheck(
        b,
        { privileged: true, allowPrivilegeEscalation: true, runAsNonRoot: true },
        [["privileged true", (_, c) => (securityContext(c).privileged = true)]],
        /^Pod Security \w+: privileged/,
      ),
  },
  {
    id: "MTB-PL1-BC-CPI-6",
    title: "Block privilege escalation",
    profileLevel: 1,
    source: `${KUBECTL_MTB}/block_privilege_escalation`,
    mechanism: "Pod Security `restricted`: allowPrivilegeEscalation must be false",
    run: (b) =>
      podCheck(
        b,
        { allowPrivilegeEscalation: true, runAsNonRoot: true },
        [["allowPrivilegeEscalation true", (_, c) => (securityContext(c).allowPrivilegeEscalation = true)]],
        /^Pod Security \w+: allowPrivilegeEscalation/,
      ),
  },
  {
    id: "MTB-PL1-CC-DI-1",
    title: "Require always imagePullPolicy",
    profileLevel: 1,
    source: `${KUBECTL_MTB}/require_always_pull_image`,
    mechanism:
      "the tier's `admission.imagePullPolicies: [Always]` (the example's defaults), at `tenancy-workloads`",
    run: (b) =>
      podCheck(
        b,
        { imagePullPolicy: "Never", runAsNonRoot: true },
        [
          ["imagePullPolicy Never", (_, c) => (c.imagePullPolicy = "Never")],
          ["imagePullPolicy IfNotPresent", (_, c) => (c.imagePullPolicy = "IfNotPresent")],
        ],
        /^tenancy-workloads: /,
      ),
  },
  {
    id: "MTB-PL1-CC-FNS-1",
    title: "Configure namespace resource quotas",
    profileLevel: 1,
    source: `${KUBECTL_MTB}/configure_ns_quotas`,
    mechanism: "ResourceQuota `tenant-quota` in every namespace, from the tier and the record",
    run: (b) => quotaCheck(b, ["cpu", "ephemeral-storage", "memory"]),
  },
  {
    id: "MTB-PL1-CC-FNS-2",
    title: "Configure namespace object limits",
    profileLevel: 1,
    source: `${KUBECTL_MTB}/configure_ns_object_quota`,
    mechanism: "the same quota's object counts (the example's defaults)",
    run: (b) =>
      quotaCheck(b, [
        "pods",
        "services",
        "replicationcontrollers",
        "resourcequotas",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "services.nodeports",
        "services.loadbalancers",
      ]),
  },
  {
    id: "MTB-PL1-BC-HI-1",
    title: "Block use of host path volumes",
    profileLevel: 1,
    source: `${KUBECTL_MTB}/block_use_of_host_path`,
    mechanism: "Pod Security `restricted` (volume types), and `tenancy-workloads` whatever the level",
    run(b) {
      const out = podCheck(
        b,
        { volumes: [{ hostPath: { path: "/tmp/busybox" } }], runAsNonRoot: true },
        [
          [
            "a hostPath volume",
            (p) => (spec(p).volumes = [{ name: "host", hostPath: { path: "/tmp/busybox" } }]),
          ],
        ],
        /^(Pod Security \w+: (restricted volume types|hostPath volumes)|tenancy-workloads: )/,
      );
      return out;
    },
  },
  {
    id: "MTB-PL1-BC-HI-1",
    title: "Block use of NodePort services",
    profileLevel: 1,
    source: `${KUBECTL_MTB}/block_use_of_nodeport_services`,
    mechanism:
      "`tenancy-services` (Service types the tier allows: none by default) and `services.nodeports: 0`",
    run(b) {
      // kubectl-mtb: PreRun, the tenant may create services; Run, a NodePort Service must be refused
      const c = new Collector();
      const alice = actorOf(b.model, b.tenant);
      const pre = may(b, alice, "create", "services", b.namespace);
      if (!pre.allowed) c.fail(`PreRun: the tenant cannot create services at all (${pre.reason})`);
      const service = (type?: string): Json => ({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "service-mtb", namespace: b.namespace },
        spec: {
          selector: { test: "multi" },
          ...(type ? { type } : {}),
          ports: [{ port: 80, name: "http", protocol: "TCP" }],
        },
      });
      c.refused("a NodePort Service", attempt(b, alice, "CREATE", service("NodePort")));
      c.admitted("a ClusterIP Service", attempt(b, alice, "CREATE", service()));
      return c.outcome();
    },
  },
  {
    id: "MTB-PL1-BC-HI-3",
    title: "Block use of host networking and ports",
    profileLevel: 1,
    source: `${KUBECTL_MTB}/block_use_of_host_networking_and_ports`,
    mechanism: "Pod Security `restricted` (baseline and up)",
    run: (b) =>
      podCheck(
        b,
        [{ hostNetwork: true }, { ports: [{ hostPort: 8086, containerPort: 8086 }], runAsNonRoot: true }],
        [
          ["hostNetwork", (p) => (spec(p).hostNetwork = true)],
          ["hostPort 8086", (_, c) => (c.ports = [{ hostPort: 8086, containerPort: 8086 }])],
        ],
        /^Pod Security \w+: (host namespaces|hostPort)/,
      ),
  },
  {
    id: "MTB-PL1-BC-HI-4",
    title: "Block use of host PID",
    profileLevel: 1,
    source: `${KUBECTL_MTB}/block_use_of_host_pid`,
    mechanism: "Pod Security `restricted` (baseline and up)",
    run: (b) =>
      podCheck(
        b,
        { hostPID: true, runAsNonRoot: true },
        [["hostPID", (p) => (spec(p).hostPID = true)]],
        HOST_NAMESPACES,
      ),
  },
  {
    id: "MTB-PL1-BC-HI-5",
    title: "Block use of host IPC",
    profileLevel: 1,
    source: `${KUBECTL_MTB}/block_use_of_host_ipc`,
    mechanism: "Pod Security `restricted` (baseline and up)",
    run: (b) =>
      podCheck(
        b,
        { hostIPC: true, runAsNonRoot: true },
        [["hostIPC", (p) => (spec(p).hostIPC = true)]],
        HOST_NAMESPACES,
      ),
  },
  {
    id: "MTB-PL1-CC-TI-1",
    title: "Block modification of resource quotas",
    profileLevel: 1,
    source: `${KUBECTL_MTB}/block_ns_quota`,
    mechanism: "RBAC: the owner role reads quotas only; `tenancy-platform-objects` behind it",
    run(b) {
      // kubectl-mtb: auth can-i create/update/patch/delete/deletecollection resourcequotas: each must be no
      const c = new Collector();
      const alice = actorOf(b.model, b.tenant);
      for (const verb of ["create", "update", "patch", "delete", "deletecollection"]) {
        const a = may(b, alice, verb, "resourcequotas", b.namespace);
        if (a.allowed) c.fail(`${verb} resourcequotas: ${a.via.join(", ")}`);
      }
      c.saw("RBAC");
      // and the write itself, raising the planned quota
      const quota = b.objects.find((o) => o.kind === "ResourceQuota" && metaOf(o).namespace === b.namespace);
      if (quota) {
        const raised = {
          ...quota,
          spec: { hard: { ...((quota.spec as Json).hard as Json), "requests.cpu": "64" } },
        };
        c.refused(
          "raising the quota",
          attempt(b, alice, "UPDATE", raised, quota),
          /^tenancy-platform-objects: /,
        );
      }
      return c.outcome();
    },
  },
  {
    id: "MTB-PL1-CC-TI-2",
    title: "Block access to other tenant resources",
    profileLevel: 1,
    source: `${KUBECTL_MTB}/block_other_tenant_resources`,
    mechanism:
      "a tenant's bindings are RoleBindings in its own namespaces (and those it is invited into); the isolation " +
      "property test checks generated registries",
    run(b) {
      // kubectl-mtb: for every namespaced resource and verb, tenant B asks about tenant A's namespace and A about
      // B's: each must be no. Here every other tenant is B, on each of A's namespaces and A on each of theirs.
      const c = new Collector();
      const alice = actorOf(b.model, b.tenant);
      const resources = namespacedResources(b);
      const check = (who: Actor, namespaces: string[]) => {
        for (const ns of namespaces)
          for (const resource of resources)
            for (const verb of ALL_VERBS) {
              const a = may(b, who, verb, resource, ns);
              if (a.allowed) c.fail(`${who.tenant.id}: ${verb} ${resource} in ${ns}: ${a.via.join(", ")}`);
            }
      };
      for (const other of otherTenants(b)) {
        const invitedAlice = invitedInto(other, b.tenant);
        check(
          alice,
          namespacesOn(b, other).filter((ns) => !invitedAlice.has(ns)),
        );
        for (const ns of invitedAlice) c.exceptions.push(`${b.tenant.id} is invited into ${ns}`);
        if (other.role !== "namespace-owner") {
          c.exceptions.push(
            `${other.id} has the role ${other.role} (${other.role === "admin" ? "cluster-admin" : "read across the cluster"})`,
          );
          continue;
        }
        const invited = invitedInto(b.tenant, other);
        for (const ns of invited) c.exceptions.push(`${other.id} is invited into ${ns}`);
        check(
          actorOf(b.model, other),
          namespacesOn(b, b.tenant).filter((ns) => !invited.has(ns)),
        );
      }
      c.saw("RBAC");
      return c.outcome();
    },
  },
  {
    id: "pending #1198",
    title: "Require PersistentVolumeClaim for storage",
    profileLevel: 1,
    source: "benchmarks/README.md (pending, kubernetes-sigs/multi-tenancy#1198)",
    mechanism:
      "inline volumes only of the restricted types (Pod Security and `tenancy-workloads`); no PersistentVolumes",
    run(b) {
      const c = new Collector();
      const alice = actorOf(b.model, b.tenant);
      for (const [what, volume] of [
        ["nfs", { nfs: { server: "10.0.0.5", path: "/exports" } }],
        [
          "iscsi",
          { iscsi: { targetPortal: "10.0.0.6:3260", iqn: "iqn.2001-04.com.example:storage", lun: 0 } },
        ],
        ["cephfs", { cephfs: { monitors: ["10.0.0.7:6789"] } }],
        ["awsElasticBlockStore", { awsElasticBlockStore: { volumeID: "vol-0123456789abcdef0" } }],
      ] as [string, Json][])
        c.refused(
          `the tier's pod with ${what}`,
          attempt(
            b,
            alice,
            "CREATE",
            tierPod(b, b.namespace, (p) => (spec(p).volumes = [{ name: "data", ...volume }])),
          ),
          /^(Pod Security \w+: restricted volume types|tenancy-workloads: )/,
        );
      c.admitted(
        "the tier's pod with a claim",
        attempt(
          b,
          alice,
          "CREATE",
          tierPod(
            b,
            b.namespace,
            (p) => (spec(p).volumes = [{ name: "data", persistentVolumeClaim: { claimName: "data" } }]),
          ),
        ),
      );
      for (const verb of ["create", "update", "patch"]) {
        const a = may(b, alice, verb, "persistentvolumes");
        if (a.allowed) c.fail(`${verb} persistentvolumes: ${a.via.join(", ")}`);
      }
      // what Pod Security's restricted level itself allows inline, and the platform keeps: CSI ephemeral volumes
      // (served only by drivers the cluster registers for the Ephemeral mode, such as the secrets-store driver)
      const inlineCsi = attempt(
        b,
        alice,
        "CREATE",
        tierPod(
          b,
          b.namespace,
          (p) => (spec(p).volumes = [{ name: "data", csi: { driver: "secrets-store.csi.k8s.io" } }]),
        ),
      );
      if (inlineCsi.allowed)
        c.exceptions.push(
          "inline CSI volumes, which Pod Security `restricted` allows, of the drivers the cluster registers for it",
        );
      return c.outcome();
    },
  },
  {
    id: "pending #1199",
    title: "Require PV reclaim policy of `delete`",
    profileLevel: 1,
    source: "benchmarks/README.md (pending, kubernetes-sigs/multi-tenancy#1199)",
    mechanism:
      "tenants create no PersistentVolumes and no StorageClasses; a claim's volume gets its StorageClass's " +
      "reclaim policy, and the tier's `storageClasses` name only classes the environment lists with " +
      "`reclaimPolicy: Delete` (the default class too, for claims that name none)",
    run(b) {
      const c = new Collector();
      const alice = actorOf(b.model, b.tenant);
      for (const resource of ["persistentvolumes", "storage.k8s.io/storageclasses"])
        for (const verb of ["create", "update", "patch"]) {
          const a = may(b, alice, verb, resource);
          if (a.allowed) c.fail(`${verb} ${resource}: ${a.via.join(", ")}`);
        }
      c.saw("RBAC");
      const declared = b.model.environment.storageClasses;
      if (Object.keys(declared).length === 0)
        return {
          status: "not applicable",
          findings: [
            "the environment lists none of the clusters' StorageClasses (storageClasses), so their reclaim " +
              "policies are unknown",
          ],
          evidence: ["RBAC"],
          exceptions: [],
        };
      // what the tier lets a claim name, as the planned parameters say ("*": every listed class)
      const allowed = (b.cluster.configMaps[`${b.namespace}/tenancy-admission`]?.data.storageClasses ?? "")
        .split("\n")
        .filter(Boolean);
      const reachable = allowed.includes("*") ? Object.keys(declared) : allowed;
      for (const name of reachable) {
        const policy = declared[name]?.reclaimPolicy;
        if (policy !== "Delete")
          c.fail(`the tier allows StorageClass ${name}, reclaimPolicy ${policy ?? "unknown"}`);
      }
      // a claim naming no class gets the default
      const home = Object.entries(declared).find(([, d]) => d.default);
      if (!home) c.fail("no default StorageClass listed: a claim naming none gets a class of unknown policy");
      else if (home[1].reclaimPolicy !== "Delete")
        c.fail(`the default StorageClass ${home[0]} has reclaimPolicy ${home[1].reclaimPolicy}`);
      c.saw("the tier's StorageClasses");
      return c.outcome();
    },
  },
  {
    id: "pending #1200",
    title: "Block use of existing PVs",
    profileLevel: 1,
    source: "benchmarks/README.md (pending, kubernetes-sigs/multi-tenancy#1200)",
    mechanism:
      "`tenancy-services`: a claim may not name a `volumeName`; tenants cannot see PersistentVolumes",
    run(b) {
      const c = new Collector();
      const alice = actorOf(b.model, b.tenant);
      const claim = (volumeName?: string): Json => ({
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "data", namespace: b.namespace },
        spec: {
          accessModes: ["ReadWriteOnce"],
          resources: { requests: { storage: "1Gi" } },
          ...(volumeName ? { volumeName } : {}),
        },
      });
      c.refused(
        "a claim naming an existing volume",
        attempt(b, alice, "CREATE", claim("pvc-0a1b2c3d")),
        /^tenancy-services: /,
      );
      c.admitted("a claim", attempt(b, alice, "CREATE", claim()));
      for (const verb of ["get", "list", "watch"]) {
        const a = may(b, alice, verb, "persistentvolumes");
        if (a.allowed) c.fail(`${verb} persistentvolumes: ${a.via.join(", ")}`);
      }
      return c.outcome();
    },
  },
  {
    id: "pending #1201",
    title: "Block network access across tenant namespaces",
    profileLevel: 1,
    source: "benchmarks/README.md (pending, kubernetes-sigs/multi-tenancy#1201)",
    mechanism:
      "NetworkPolicies `tenancy-default-deny` (in and out) and `tenancy-same-tenant` by the namespace label " +
      "tenants cannot write; `tenancy-network-policies` bounds tenants' own",
    run(b) {
      // Every pod of the tenant under test and every pod of another tenant, each way, on the ports the platform's
      // policies name and a plain one; first as planned, then after the other side (alone) had every opening
      // NetworkPolicy it could get admitted. A pod of the tenant's own namespace reaches it (control).
      const c = new Collector();
      const alice = actorOf(b.model, b.tenant);
      const planned = plannedPolicies(b);
      const ports = [80, 53, 5432, 9090];
      let i = 0;
      // pods labelled like the platform's peers (the ingress controller, DNS, monitoring): labels are the tenant's
      const labels = { app: "mtb", "app.kubernetes.io/name": "ingress-nginx", "k8s-app": "kube-dns" };
      const podIn = (ns: string): NetPod => ({ namespace: ns, labels, ip: `10.244.${++i}.5` });
      const mine = namespacesOn(b, b.tenant).map(podIn);
      const control = podIn(b.namespace);
      if (!reaches(planned, b.cluster.namespaces, control, mine[0]!, 80))
        c.fail(`(control) a pod in ${b.namespace} does not reach another of ${b.namespace}`);
      for (const other of otherTenants(b)) {
        const theirs = namespacesOn(b, other).map(podIn);
        const scenarios: [string, Map<string, NetPolicySpec[]>][] = [["as planned", planned]];
        for (const [opener, actor, nss, target] of [
          [other.id, actorOf(b.model, other), theirs, mine[0]!],
          [b.tenant.id, alice, mine, theirs[0]],
        ] as const) {
          if (!target) continue;
          const opened = new Map(planned);
          for (const pod of nss)
            for (const np of openingPolicies(
              pod.namespace,
              target.namespace,
              target === mine[0] ? b.tenant.id : other.id,
            )) {
              const a = attempt(b, actor, "CREATE", np);
              if (a.allowed)
                opened.set(pod.namespace, [...(opened.get(pod.namespace) ?? []), np.spec as NetPolicySpec]);
              else c.saw(...a.refusals.filter((r) => !r.startsWith("RBAC")).map(short));
            }
          scenarios.push([`after ${opener} opened its namespaces`, opened]);
        }
        for (const [when, policies] of scenarios)
          for (const a of mine)
            for (const t of theirs)
              for (const port of ports)
                for (const [from, to] of [
                  [a, t],
                  [t, a],
                ] as const)
                  if (reaches(policies, b.cluster.namespaces, from, to, port))
                    c.fail(`${when}: ${from.namespace} reaches ${to.namespace} on ${port}`);
      }
      c.saw("`tenancy-default-deny`", "`tenancy-same-tenant`");
      return c.outcome();
    },
  },
  {
    id: "MTB-PL2-BC-OPS-4",
    title: "Create Network Policies",
    profileLevel: 2,
    source: `${KUBECTL_MTB}/create_network_policies`,
    mechanism: "the owner role (aggregated `admin`) writes NetworkPolicies; the platform's own are protected",
    run(b) {
      // kubectl-mtb: auth can-i get/create/update/patch/delete/deletecollection networkpolicies: each yes
      const c = new Collector();
      const alice = actorOf(b.model, b.tenant);
      for (const verb of ["get", "create", "update", "patch", "delete", "deletecollection"]) {
        const a = may(b, alice, verb, "networking.k8s.io/networkpolicies", b.namespace);
        if (!a.allowed) c.fail(`cannot ${verb} networkpolicies: ${a.reason}`);
      }
      c.admitted(
        "a NetworkPolicy of its own",
        attempt(b, alice, "CREATE", {
          apiVersion: "networking.k8s.io/v1",
          kind: "NetworkPolicy",
          metadata: { name: "web", namespace: b.namespace },
          spec: {
            podSelector: { matchLabels: { app: "web" } },
            policyTypes: ["Ingress"],
            ingress: [
              { from: [{ podSelector: { matchLabels: { app: "client" } } }], ports: [{ port: 8080 }] },
            ],
          },
        }),
      );
      c.saw("RBAC");
      return c.outcome();
    },
  },
  {
    id: "MTB-PL2-BC-OPS-3",
    title: "Create Role Bindings",
    profileLevel: 2,
    source: `${KUBECTL_MTB}/create_role_bindings`,
    mechanism:
      "the owner role (aggregated `admin`) writes Roles and RoleBindings; `tenancy-role-bindings` lets them name " +
      "only the tenant's own principals",
    run(b) {
      // kubectl-mtb: auth can-i (8 verbs) on roles and rolebindings: each yes; then a Role (get pods) is created
      // and a RoleBinding to it (dry run), both must succeed
      const c = new Collector();
      const alice = actorOf(b.model, b.tenant);
      for (const resource of ["rbac.authorization.k8s.io/roles", "rbac.authorization.k8s.io/rolebindings"])
        for (const verb of ALL_VERBS) {
          const a = may(b, alice, verb, resource, b.namespace);
          if (!a.allowed) c.fail(`cannot ${verb} ${resource}: ${a.reason}`);
        }
      roleSample(b, alice, c);
      c.admitted(
        "RoleBinding rolebinding-sample",
        attempt(b, alice, "CREATE", {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "RoleBinding",
          metadata: { name: "rolebinding-sample", namespace: b.namespace },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "role-sample" },
        }),
      );
      // what the binding policy keeps out: another tenant named in a binding
      const other = otherTenants(b).find((t) => !t.offboarding);
      if (other) {
        const subject = tenantSubject(b.model.environment, other);
        c.refused(
          `a RoleBinding naming ${other.id}`,
          attempt(b, alice, "CREATE", {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: { name: "mtb-other", namespace: b.namespace },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "role-sample" },
            subjects: [{ ...subject, apiGroup: "rbac.authorization.k8s.io" }],
          }),
          /^tenancy-role-bindings: /,
        );
      }
      c.saw("RBAC");
      return c.outcome();
    },
  },
  {
    id: "pending #1202",
    title: "Allow self-service management of Roles",
    profileLevel: 2,
    source: "benchmarks/README.md (pending, kubernetes-sigs/multi-tenancy#1202)",
    mechanism:
      "the owner role writes Roles, within Kubernetes' escalation check (no `escalate` or `bind`): a Role " +
      "grants at most what its author holds",
    run(b) {
      const c = new Collector();
      const alice = actorOf(b.model, b.tenant);
      for (const verb of ALL_VERBS) {
        const a = may(b, alice, verb, "rbac.authorization.k8s.io/roles", b.namespace);
        if (!a.allowed) c.fail(`cannot ${verb} roles: ${a.reason}`);
      }
      roleSample(b, alice, c);
      // Kubernetes' escalation check: without escalate, a Role may grant only what its author holds
      for (const verb of ["escalate", "bind"]) {
        const a = may(b, alice, verb, "rbac.authorization.k8s.io/roles", b.namespace);
        if (a.allowed) c.fail(`${verb} roles: ${a.via.join(", ")}`);
      }
      const beyond = { apiGroups: [""], resources: ["resourcequotas"], verbs: ["update"] };
      if (holdsRules(b, alice, [beyond]))
        c.fail("the tenant holds update on resourcequotas: a Role of its own could grant it");
      c.saw("RBAC");
      return c.outcome();
    },
  },
];

/** Whether `actor` holds every rule in the namespace (what Kubernetes' escalation check asks of a Role's author). */
function holdsRules(
  b: Bench,
  actor: Actor,
  rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[],
) {
  return rules.every((r) =>
    r.apiGroups.every((g) =>
      r.resources.every((res) =>
        r.verbs.every((v) => may(b, actor, v, groupResource(g, res), b.namespace).allowed),
      ),
    ),
  );
}

/** kubectl-mtb's Role `role-sample` (get pods): admitted, and within what its author holds. */
function roleSample(b: Bench, actor: Actor, c: Collector) {
  const rules = [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }];
  c.admitted(
    "Role role-sample",
    attempt(b, actor, "CREATE", {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "role-sample", namespace: b.namespace },
      rules,
    }),
  );
  if (!holdsRules(b, actor, rules))
    c.fail("Role role-sample grants more than its author holds: escalation refused");
}

/**
 * kubectl-mtb's quota checks: PreRun, the tenant may list and get resourcequotas; Run, the names in the hard
 * limits of the namespace's quotas, joined, must contain each of `names` (a substring match, as kubectl-mtb's).
 */
function quotaCheck(b: Bench, names: string[]): Outcome {
  const c = new Collector();
  const alice = actorOf(b.model, b.tenant);
  for (const verb of ["list", "get"]) {
    const a = may(b, alice, verb, "resourcequotas", b.namespace);
    if (!a.allowed) c.fail(`PreRun: cannot ${verb} resourcequotas: ${a.reason}`);
  }
  const quotas = b.objects.filter((o) => o.kind === "ResourceQuota" && metaOf(o).namespace === b.namespace);
  const keys = quotas.flatMap((q) => Object.keys(((q.spec as Json | undefined)?.hard ?? {}) as Json));
  const joined = keys.join(" ");
  for (const name of names)
    if (!joined.includes(name)) c.fail(`${name} is not in the quotas of ${b.namespace}`);
  c.saw(
    ...quotas.map(
      (q) =>
        `ResourceQuota ${metaOf(q).name}: ${keys.filter((k) => names.some((n) => k.includes(n))).join(", ")}`,
    ),
  );
  return c.outcome();
}

// ---------------------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------------------

export interface Result {
  check: MtbCheck;
  outcome: Outcome;
}

export function runBenchmark(b: Bench): Result[] {
  return CHECKS.map((check) => ({ check, outcome: check.run(b) }));
}

const cell = (s: string) => s.replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|");

/** The markdown table docs/admission.md shows, from a run (formatted by the caller). */
export function benchmarkTable(results: Result[]): string {
  const lines = [
    "| MTB id | check | level | status | how it is met (and what refused the hostile actions in this run) |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const { check, outcome } of results) {
    const status =
      outcome.status === "pass"
        ? "pass"
        : outcome.status === "fail"
          ? `**fails**: ${outcome.findings.join("; ")}`
          : `not applicable: ${outcome.findings.join("; ")}`;
    const how = [
      check.mechanism,
      outcome.evidence.length > 0 ? `(${outcome.evidence.join(", ")})` : "",
      outcome.exceptions.length > 0 ? `; left aside: ${outcome.exceptions.join(", ")}` : "",
    ]
      .filter((s) => s !== "")
      .join(" ");
    const id = check.id.startsWith("pending") ? check.id : `\`${check.id}\``;
    lines.push(`| ${[id, check.title, String(check.profileLevel), status, how].map(cell).join(" | ")} |`);
  }
  return lines.join("\n");
}
