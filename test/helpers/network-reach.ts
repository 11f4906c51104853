/**
 * Reach through NetworkPolicies (networking.k8s.io/v1), for the isolation property test: whether a pod of one
 * namespace may open a connection to a pod of another, or to an address, given every NetworkPolicy of the cluster.
 *
 * Kubernetes' semantics, over-approximated towards allowing (so that no reach found means none exists): a pod is
 * isolated in a direction when a policy of its namespace with that policy type selects it, and then allowed only
 * what some such policy allows; a connection needs the source's egress and the destination's ingress. Pod labels
 * are the tenants' to choose, so every podSelector is taken to select the pod in question, and ports are ignored.
 * A rule without peers allows every peer. An ipBlock reaches pods when it leaves some pod address un-excepted
 * (pods take addresses from `podRange`); a namespaceSelector is matched against the namespace's labels (the API
 * server's `kubernetes.io/metadata.name` included); a peer with neither is the policy's own namespace.
 */
import { type Prefix, containsPrefix, overlaps, parsePrefix } from "../../components/core/cidr";
import { selects } from "./admission";

type Json = Record<string, unknown>;
interface Peer {
  ipBlock?: { cidr: string; except?: string[] };
  namespaceSelector?: Parameters<typeof selects>[0];
  podSelector?: unknown;
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
}
interface Spec {
  podSelector?: unknown;
  policyTypes?: ("Ingress" | "Egress")[];
  ingress?: Rule[];
  egress?: Rule[];
}

export interface NetworkWorld {
  /** Namespace name -> its labels. */
  namespaces: Record<string, Record<string, string>>;
  /** Every NetworkPolicy of the cluster. */
  policies: Json[];
  /** Where pods take their addresses from. */
  podRange: string;
}

const prefix = (s: string): Prefix => {
  const p = parsePrefix(s);
  if (!p) throw new Error(`not a CIDR: ${s}`);
  return p;
};

/** Whether an ipBlock holds some address of `target` that none of its excepts takes out. */
function blockReaches(block: { cidr: string; except?: string[] }, target: Prefix): boolean {
  const c = prefix(block.cidr);
  if (!overlaps(c, target)) return false;
  // the addresses both hold: the narrower of the two (prefixes nest)
  const inter = c.bits >= target.bits ? c : target;
  return !(block.except ?? []).some((e) => containsPrefix(prefix(e), inter));
}

function policiesOf(world: NetworkWorld, ns: string, type: "Ingress" | "Egress"): Spec[] {
  return world.policies
    .filter((p) => (p.metadata as { namespace: string }).namespace === ns)
    .map((p) => p.spec as Spec)
    .filter((s) => (s.policyTypes ?? (s.egress ? ["Ingress", "Egress"] : ["Ingress"])).includes(type));
}

/** Whether a peer of a policy in `home` may be a pod in `other`. */
function peerHasPod(world: NetworkWorld, home: string, peer: Peer, other: string): boolean {
  if (peer.ipBlock) return blockReaches(peer.ipBlock, prefix(world.podRange));
  if (peer.namespaceSelector) return selects(peer.namespaceSelector, world.namespaces[other] ?? {});
  return other === home;
}

function allows(
  world: NetworkWorld,
  ns: string,
  type: "Ingress" | "Egress",
  peerOk: (p: Peer) => boolean,
): boolean {
  const specs = policiesOf(world, ns, type);
  if (specs.length === 0) return true; // not isolated
  return specs.some((s) =>
    (type === "Ingress" ? s.ingress : s.egress)?.some((r) => {
      const peers = type === "Ingress" ? r.from : r.to;
      return !peers || peers.length === 0 || peers.some(peerOk);
    }),
  );
}

/** Whether some pod of `from` may connect to some pod of `to`. */
export function podReach(world: NetworkWorld, from: string, to: string): boolean {
  return (
    allows(world, from, "Egress", (p) => peerHasPod(world, from, p, to)) &&
    allows(world, to, "Ingress", (p) => peerHasPod(world, to, p, from))
  );
}

/** Whether some pod of `from` may connect to some address of `target` (an address outside the cluster's pods). */
export function addressReach(world: NetworkWorld, from: string, target: string): boolean {
  const t = prefix(target);
  return allows(world, from, "Egress", (p) => (p.ipBlock ? blockReaches(p.ipBlock, t) : false));
}
