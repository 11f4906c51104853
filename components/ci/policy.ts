/** The CI system's view of the registry, as plain data. */
import type { RegistryModel } from "../../registry/model";

/** Admin tenants (not offboarding) plus the environment's extra admins, comma-separated. */
export function ciAdmins(model: RegistryModel): string {
  const admins = model.tenants.filter((t) => t.role === "admin" && !t.offboarding).map((t) => t.id);
  return [...new Set([...admins, ...model.environment.ci.admins.extra])].join(",");
}
