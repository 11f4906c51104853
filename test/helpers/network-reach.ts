/**
 * Reach through a cluster's network policies, for the isolation property test and the AdminNetworkPolicy tests:
 * AdminNetworkPolicies (policy.networking.k8s.io/v1alpha1), NetworkPolicies (networking.k8s.io/v1) and the
 * BaselineAdminNetworkPolicy, as their APIs document them.
 *
 * A connection goes from a pod (its namespace, its labels) to a pod or to an address outside the cluster's pods,
 * on a port; it needs the source's egress and, to a pod, the destination's ingress. Each direction:
 * 1. AdminNetworkPolicies whose subject selects the pod, by priority (lower first), each one's rules in order: the
 *    first rule that matches decides; Allow and Deny are final, Pass skips every remaining AdminNetworkPolicy
 *    rule. Two policies of one priority that both match: the implementation may apply either (both outcomes kept).
 *    Subjects and `namespaces`/`pods` peers never select host-network pods (not modelled: every pod here is one).
 * 2. Passed, or no rule matched: the NetworkPolicies of the pod's namespace of that policy type that select it;
 *    if any does, allowed only what one of them allows;
 * 3. none selects it: the BaselineAdminNetworkPolicy's rules in order (Allow/Deny), else allowed.
 * A `networks` peer matches pod addresses too (the API: "cluster-internal traffic will be checked against the rule
 * as well"); pods take their addresses from `podRange`.
 *
 * What a connection leaves unsaid is over-approximated: pod labels left out are the tenants' to choose (a
 * non-empty pod selector may or may not select the pod), a port left out is any port. The result is the set of
 * outcomes some choice yields, so `allow` in it means some pod may reach, and a fully described connection has
 * one outcome (`decide`). An ipBlock or `networks` CIDR against a pod: it matches when it holds the whole pod
 * range (no except in it), may when it shares addresses with it.
 */
import { type Prefix, containsPrefix, overlaps, parsePrefix } from "../../components/core/cidr";
import { selects } from "./admission";

type Json = Record<string, unknown>;
type Selector = Parameters<typeof selects>[0];
type Labels = Record<string, string>;

export interface NetworkWorld {
  /** Namespace name -> its labels. */
  namespaces: Record<string, Labels>;
  /** Every NetworkPolicy of the cluster. */
  policies: Json[];
  /** Every AdminNetworkPolicy of the cluster. @default - none */
  adminPolicies?: Json[];
  /** The BaselineAdminNetworkPolicy (the cluster's singleton `default`). @default - none */
  baselinePolicy?: Json;
  /** Where pods take their addresses from. */
  podRange: string;
}

/** A pod: its namespace and, if known, its labels. */
export interface Pod {
  namespace: string;
  labels?: Labels;
}
/** An address outside the cluster's pods (an IP or a range). */
export interface Address {
  address: string;
}
export interface Connection {
  from: Pod;
  to: Pod | Address;
  /** The destination port. @default - any */
  port?: { port: number; protocol: "TCP" | "UDP" | "SCTP" };
}
export type Outcome = "allow" | "deny";

type Tri = "yes" | "no" | "maybe";
const and = (...xs: Tri[]): Tri => (xs.includes("no") ? "no" : xs.includes("maybe") ? "maybe" : "yes");
const or = (...xs: Tri[]): Tri => (xs.includes("yes") ? "yes" : xs.includes("maybe") ? "maybe" : "no");
const tri = (b: boolean): Tri => (b ? "yes" : "no");

const prefix = (s: string): Prefix => {
  const p = parsePrefix(s);
  if (!p) throw new Error(`not a CIDR: ${s}`);
  return p;
};
const isPod = (t: Pod | Address): t is Pod => "namespace" in t;

function selectorTri(selector: Selector | undefined, labels: Labels | undefined): Tri {
  if (!selector) return "yes";
  if (labels) return tri(selects(selector, labels));
  const empty = Object.keys(selector.matchLabels ?? {}).length === 0 && !selector.matchExpressions?.length;
  return empty ? "yes" : "maybe";
}

/** Whether a CIDR (with excepts) holds the target's addresses: all of them, some of them, none. */
function cidrTri(cidr: string, except: readonly string[], target: Prefix): Tri {
  const c = prefix(cidr);
  if (!overlaps(c, target)) return "no";
  const inter = c.bits >= target.bits ? c : target;
  if (except.some((e) => containsPrefix(prefix(e), inter))) return "no";
  const whole = containsPrefix(c, target) && !except.some((e) => overlaps(prefix(e), target));
  return whole ? "yes" : "maybe";
}

/** The addresses a destination or source may have. */
const addressesOf = (world: NetworkWorld, t: Pod | Address): Prefix =>
  prefix(
    isPod(t)
      ? world.podRange
      : t.address.includes("/")
        ? t.address
        : `${t.address}/${t.address.includes(":") ? 128 : 32}`,
  );

// ---------------------------------------------------------------------------------------------------------
// NetworkPolicy (networking.k8s.io/v1)

interface NpPeer {
  ipBlock?: { cidr: string; except?: string[] };
  namespaceSelector?: Selector;
  podSelector?: Selector;
}
interface NpPort {
  port?: number | string;
  endPort?: number;
  protocol?: string;
}
interface NpRule {
  from?: NpPeer[];
  to?: NpPeer[];
  ports?: NpPort[];
}
interface NpSpec {
  podSelector?: Selector;
  policyTypes?: ("Ingress" | "Egress")[];
  ingress?: NpRule[];
  egress?: NpRule[];
}

function npPeerTri(world: NetworkWorld, home: string, peer: NpPeer, other: Pod | Address): Tri {
  if (peer.ipBlock) return cidrTri(peer.ipBlock.cidr, peer.ipBlock.except ?? [], addressesOf(world, other));
  if (!isPod(other)) return "no";
  const ns = peer.namespaceSelector
    ? tri(selects(peer.namespaceSelector, world.namespaces[other.namespace] ?? {}))
    : tri(other.namespace === home);
  return and(ns, selectorTri(peer.podSelector, other.labels));
}

function npPortsTri(ports: NpPort[] | undefined, port: Connection["port"]): Tri {
  if (!ports || ports.length === 0) return "yes";
  if (!port) return "maybe";
  return or(
    ...ports.map((p): Tri => {
      if ((p.protocol ?? "TCP") !== port.protocol) return "no";
      if (p.port === undefined) return "yes";
      if (typeof p.port === "string") return "maybe"; // a named port: the pod's to name
      return tri(port.port >= p.port && port.port <= (p.endPort ?? p.port));
    }),
  );
}

/** NetworkPolicies in one direction: allowed, denied, or not isolated (the pod no policy of that type selects). */
function networkPolicies(
  world: NetworkWorld,
  pod: Pod,
  type: "Ingress" | "Egress",
  other: Pod | Address,
  port: Connection["port"],
): Set<Outcome | "unisolated"> {
  const specs = world.policies
    .filter((p) => (p.metadata as { namespace: string }).namespace === pod.namespace)
    .map((p) => p.spec as NpSpec)
    .filter((s) => (s.policyTypes ?? (s.egress ? ["Ingress", "Egress"] : ["Ingress"])).includes(type));
  const selecting = specs.map((s) => ({ s, sel: selectorTri(s.podSelector, pod.labels) }));
  const isolated = or(...selecting.map((x) => x.sel));
  const allowed = or(
    ...selecting.map(({ s, sel }) =>
      and(
        sel,
        or(
          ...((type === "Ingress" ? s.ingress : s.egress) ?? []).map((r) => {
            const peers = type === "Ingress" ? r.from : r.to;
            const peerOk =
              !peers || peers.length === 0
                ? "yes"
                : or(...peers.map((p) => npPeerTri(world, pod.namespace, p, other)));
            return and(peerOk, npPortsTri(r.ports, port));
          }),
        ),
      ),
    ),
  );
  const out = new Set<Outcome | "unisolated">();
  if (isolated !== "yes") out.add("unisolated");
  if (isolated !== "no") {
    if (allowed !== "no") out.add("allow");
    if (allowed !== "yes") out.add("deny");
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1)

interface AdminPeer {
  namespaces?: Selector;
  pods?: { namespaceSelector: Selector; podSelector: Selector };
  networks?: string[];
}
interface AdminPort {
  portNumber?: { port: number; protocol?: string };
  portRange?: { start: number; end: number; protocol?: string };
  namedPort?: string;
}
interface AdminRule {
  action: "Allow" | "Deny" | "Pass";
  from?: AdminPeer[];
  to?: AdminPeer[];
  ports?: AdminPort[];
}
interface AdminSpec {
  priority?: number;
  subject: { namespaces?: Selector; pods?: { namespaceSelector: Selector; podSelector: Selector } };
  ingress?: AdminRule[];
  egress?: AdminRule[];
}

function subjectTri(world: NetworkWorld, subject: AdminSpec["subject"], pod: Pod): Tri {
  const nsLabels = world.namespaces[pod.namespace] ?? {};
  if (subject.namespaces) return tri(selects(subject.namespaces, nsLabels));
  if (subject.pods)
    return and(
      tri(selects(subject.pods.namespaceSelector, nsLabels)),
      selectorTri(subject.pods.podSelector, pod.labels),
    );
  throw new Error(`an AdminNetworkPolicy subject this evaluator does not know: ${JSON.stringify(subject)}`);
}

function adminPeerTri(world: NetworkWorld, peer: AdminPeer, other: Pod | Address): Tri {
  const kinds = Object.keys(peer);
  if (kinds.length !== 1)
    throw new Error(`an AdminNetworkPolicy peer sets exactly one field: ${JSON.stringify(peer)}`);
  if (!["namespaces", "pods", "networks"].includes(kinds[0]!))
    throw new Error(`an AdminNetworkPolicy peer this evaluator does not know: ${JSON.stringify(peer)}`);
  if (peer.networks) return or(...peer.networks.map((c) => cidrTri(c, [], addressesOf(world, other))));
  if (!isPod(other)) return "no";
  const nsLabels = world.namespaces[other.namespace] ?? {};
  if (peer.namespaces) return tri(selects(peer.namespaces, nsLabels));
  if (peer.pods)
    return and(
      tri(selects(peer.pods.namespaceSelector, nsLabels)),
      selectorTri(peer.pods.podSelector, other.labels),
    );
  throw new Error(`an AdminNetworkPolicy peer with no selector: ${JSON.stringify(peer)}`);
}

function adminPortsTri(ports: AdminPort[] | undefined, port: Connection["port"]): Tri {
  if (!ports) return "yes";
  if (!port) return "maybe";
  return or(
    ...ports.map((p): Tri => {
      if (p.namedPort !== undefined) return "maybe";
      const q = p.portNumber
        ? { protocol: p.portNumber.protocol ?? "TCP", start: p.portNumber.port, end: p.portNumber.port }
        : p.portRange
          ? { protocol: p.portRange.protocol ?? "TCP", start: p.portRange.start, end: p.portRange.end }
          : undefined;
      if (!q)
        throw new Error(`an AdminNetworkPolicy port this evaluator does not know: ${JSON.stringify(p)}`);
      return tri(q.protocol === port.protocol && port.port >= q.start && port.port <= q.end);
    }),
  );
}

/** The outcomes of one policy's rules for `pod` in a direction: an action, or none if no rule may match. */
function policyActions(
  world: NetworkWorld,
  spec: AdminSpec,
  pod: Pod,
  type: "Ingress" | "Egress",
  other: Pod | Address,
  port: Connection["port"],
): Set<AdminRule["action"] | "none"> {
  const out = new Set<AdminRule["action"] | "none">();
  const subject = subjectTri(world, spec.subject, pod);
  if (subject === "no") return out.add("none");
  for (const r of (type === "Ingress" ? spec.ingress : spec.egress) ?? []) {
    const peers = (type === "Ingress" ? r.from : r.to) ?? [];
    if (peers.length === 0) throw new Error("an AdminNetworkPolicy rule names at least one peer");
    const m = and(
      subject,
      or(...peers.map((p) => adminPeerTri(world, p, other))),
      adminPortsTri(r.ports, port),
    );
    if (m !== "no") out.add(r.action);
    // a definite match ends it (where the subject is definite too)
    if (m === "yes") return out;
  }
  return out.add("none");
}

function adminPolicies(
  world: NetworkWorld,
  pod: Pod,
  type: "Ingress" | "Egress",
  other: Pod | Address,
  port: Connection["port"],
): Set<"Allow" | "Deny" | "Pass" | "none"> {
  const byPriority = new Map<number, AdminSpec[]>();
  for (const p of world.adminPolicies ?? []) {
    const spec = p.spec as AdminSpec;
    const priority = spec.priority ?? 0;
    byPriority.set(priority, [...(byPriority.get(priority) ?? []), spec]);
  }
  const out = new Set<"Allow" | "Deny" | "Pass" | "none">();
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    // one priority: whichever policy that matches the implementation applies; on only if none may match
    const sets = byPriority.get(priority)!.map((s) => policyActions(world, s, pod, type, other, port));
    for (const s of sets) for (const a of s) if (a !== "none") out.add(a);
    if (!sets.every((s) => s.has("none"))) return out;
  }
  return out.add("none");
}

function baseline(
  world: NetworkWorld,
  pod: Pod,
  type: "Ingress" | "Egress",
  other: Pod | Address,
  port: Connection["port"],
): Set<Outcome> {
  const out = new Set<Outcome>();
  if (!world.baselinePolicy) return out.add("allow");
  const actions = policyActions(world, world.baselinePolicy.spec as AdminSpec, pod, type, other, port);
  for (const a of actions) out.add(a === "Deny" ? "deny" : "allow"); // Allow, or none: Kubernetes' default
  return out;
}

/** The outcomes of one direction at `pod`. */
function direction(
  world: NetworkWorld,
  pod: Pod,
  type: "Ingress" | "Egress",
  other: Pod | Address,
  port: Connection["port"],
): Set<Outcome> {
  const out = new Set<Outcome>();
  const admin = adminPolicies(world, pod, type, other, port);
  if (admin.has("Allow")) out.add("allow");
  if (admin.has("Deny")) out.add("deny");
  if (admin.has("Pass") || admin.has("none"))
    for (const n of networkPolicies(world, pod, type, other, port)) {
      if (n === "unisolated") for (const b of baseline(world, pod, type, other, port)) out.add(b);
      else out.add(n);
    }
  return out;
}

/** Every outcome the connection may have, given what it leaves unsaid. */
export function outcomes(world: NetworkWorld, c: Connection): Set<Outcome> {
  const egress = direction(world, c.from, "Egress", c.to, c.port);
  const ingress = isPod(c.to)
    ? direction(world, c.to, "Ingress", c.from, c.port)
    : new Set<Outcome>(["allow"]);
  const out = new Set<Outcome>();
  if (egress.has("allow") && ingress.has("allow")) out.add("allow");
  if (egress.has("deny") || ingress.has("deny")) out.add("deny");
  return out;
}

/** The one outcome of a fully described connection (labels and port given); throws if it has more than one. */
export function decide(world: NetworkWorld, c: Connection): Outcome {
  const o = [...outcomes(world, c)];
  if (o.length !== 1) throw new Error(`no single outcome for ${JSON.stringify(c)}: ${o.join(", ")}`);
  return o[0]!;
}

/** Whether some pod of `from` may connect to some pod of `to`. */
export function podReach(world: NetworkWorld, from: string, to: string): boolean {
  return outcomes(world, { from: { namespace: from }, to: { namespace: to } }).has("allow");
}

/** Whether some pod of `from` may connect to some address of `target` (an address outside the cluster's pods). */
export function addressReach(world: NetworkWorld, from: string, target: string): boolean {
  return outcomes(world, { from: { namespace: from }, to: { address: target } }).has("allow");
}
