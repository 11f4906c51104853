/**
 * Names: every physical name the environment's templates give this tenant's objects must be a DNS label (at most
 * 63 characters), checked here so that a long namespace under a long template is a problem with a file and
 * field, not a failure at plan time.
 */
import { names } from "../../policy/names";
import type { MemberModel, NamespaceModel } from "../model";
import type { TenantContext } from "./context";

export function checkNames(
  { env, doc, data, at }: TenantContext,
  namespaces: readonly NamespaceModel[],
  members: readonly MemberModel[],
): void {
  const n = names(env);
  const tryName = (path: (string | number)[], make: () => string) => {
    try {
      make();
    } catch (e) {
      at(path, `${(e as Error).message} (names in ${env.source})`);
    }
  };
  tryName([], () => n.vaultPolicy(doc.id));
  tryName(["role"], () => n.clusterBinding(doc.id, data.role));
  namespaces.forEach((ns, i) => {
    const path = data.namespaces === undefined ? ["namespaces"] : ["namespaces", i];
    for (const make of [n.quota, n.limits, n.tlsSecret, n.ownerBinding])
      tryName(path, () => make(doc.id, ns.name));
    tryName(path, () => n.deployer(ns.name));
    for (const m of members)
      if (m.namespaces.includes(ns.name)) tryName(path, () => n.memberBinding(doc.id, ns.name, m.tenant));
  });
}
