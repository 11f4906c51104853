/** A tenant's identity: one tenant per email; an id that is not a path the platform uses in Vault. */
import { show } from "../problems";
import type { TenantContext } from "./context";

export function checkIdentity({ env, doc, data, claims, at }: TenantContext): void {
  // top-level tenant paths put tenant data at <kvMount>/data/<id>: an id must not be a path the platform uses
  if (
    env.vault.tenantPaths === "top-level" &&
    [...env.vault.reservedPaths, env.vault.tenantPrefix, ...claims.platformVaultPaths].includes(doc.id)
  )
    at(
      [],
      `tenant id ${show(doc.id)} is a reserved Vault path (vault.reservedPaths in ${env.source}, or the registry's own); with top-level tenant paths its policy would grant ${env.vault.kvMount}/data/${doc.id}; choose another id`,
    );

  const email = data.email.toLowerCase();
  const first = claims.emailOwner.get(email);
  if (first !== undefined)
    at(
      ["email"],
      `${show(data.email)} is already the identity of tenant ${show(first)}; an email belongs to one tenant`,
    );
  else claims.emailOwner.set(email, doc.id);
}
