/**
 * TLS names the platform generates are claimed like domains: with `tls.namespaceWildcard`, each namespace's
 * certificate also names `*.<namespace>.<namespaceWildcard>`, so a namespace named `shop` would hold a key for
 * every name under another tenant's shop.example.org. Claimed through the one hostname claim
 * (components/dns/rules.ts `claimHostname`), as generated: it yields to every other tenant's hostname.
 */
import { show } from "../core/problems";
import type { PathSegment } from "../core/problems";
import type { TenantContext } from "../../registry/rules/context";
import { claimHostname } from "../dns/rules";
import { namespaceWildcard } from "./policy";

/** Claims the wildcard name a tenant namespace's certificate would carry, reported at the namespace's entry. */
export function checkNamespaceWildcard(ctx: TenantContext, namespace: string, path: PathSegment[]): void {
  const name = namespaceWildcard(ctx.env, namespace);
  if (name === undefined) return;
  claimHostname(ctx, name, path, {
    kind: "generated",
    shown: `the certificate name ${show(name)} of namespace ${show(namespace)} (tls.namespaceWildcard in ${ctx.env.source})`,
  });
}
