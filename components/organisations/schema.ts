/** The organisations concern's part of the registry's schemas (registry/schema.ts assembles the environment file): strict, an unknown key is a typo. A tenant's own `parent` is a field of the tenant file itself. */
import { z } from "zod";

export const OrganisationSettings = z
  .strictObject({
    maxDepth: z
      .number()
      .int()
      .min(1)
      .max(16)
      .default(3)
      .describe(
        "how many levels an organisation may have, its root included (3: an organisation, its projects, their sub-projects)",
      ),
    parentView: z
      .boolean()
      .default(false)
      .describe(
        "a tenant's ancestors, and their members invited into all of their namespaces or managing them (never the ancestor's own descendants), get read-only view (tenancy-namespace-viewer) in its namespaces",
      ),
  })
  .prefault({})
  .describe("organisations: tenants naming a parent (docs/organisations.md)");
