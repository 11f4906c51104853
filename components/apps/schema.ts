/** The apps concern's part of the registry's schemas (registry/schema.ts assembles the tenant and environment files): strict everywhere, an unknown key is a typo. */
import { z } from "zod";
import {
  AnyKey,
  EnvName,
  isHostname,
  isnt,
  NamespaceName,
  Quantity,
  safeKey,
  VisibleText,
} from "../core/schema";

export const SettingValue = z.union([z.string(), z.number(), z.boolean()]);

const CpuMemoryRequired = z.strictObject({ cpu: Quantity, memory: Quantity });

/** An app tenants may instantiate: everything the factory needs to run one instance per user. */
export const CatalogApp = z
  .strictObject({
    description: z.string().optional(),
    image: z
      .string()
      .refine(
        (s) =>
          /^[a-z0-9][-a-z0-9._/:]*(:[A-Za-z0-9_][-A-Za-z0-9_.]{0,127}|@sha256:[0-9a-f]{64})$/.test(s) &&
          !s.endsWith(":latest"),
        isnt("an image pinned by tag (not latest) or digest, e.g. actualbudget/actual-server:25.1.0"),
      ),
    port: z.number().int().min(1).max(65535).describe("the port the app listens on"),
    env: z
      .record(safeKey(EnvName), VisibleText)
      .default({})
      .describe("environment variables of every instance"),
    settings: z
      .record(AnyKey, SettingValue)
      .default({})
      .describe(
        "settings a tenant may set, with their defaults (the type is the default's); storage sizes the volume",
      ),
    settingsEnv: z
      .record(AnyKey, EnvName)
      .default({})
      .describe("setting -> environment variable it is passed as"),
    storage: z
      .strictObject({
        size: Quantity.describe(
          "default size; the setting `storage` overrides it when the entry declares one",
        ),
        mountPath: z.string().regex(/^\/[^\0]*$/, "is not an absolute path"),
        storageClass: z.string().min(1).optional(),
      })
      .optional(),
    resources: z.strictObject({ requests: CpuMemoryRequired, limits: CpuMemoryRequired }),
    host: z
      .string()
      .refine(
        (h) => h.includes("{tenant}") && isHostname(h.replaceAll("{tenant}", "t").replaceAll("{app}", "a")),
        isnt('a host pattern with "{tenant}" (and optionally "{app}"), e.g. "{tenant}.budget.example.com"'),
      ),
    placement: z
      .enum(["tenant", "shared"])
      .default("tenant")
      .describe("tenant: the instance runs in the tenant's namespace; shared: in the app's own namespace"),
    namespace: NamespaceName.optional().describe(
      "shared placement: the app's namespace; default: the app's name",
    ),
    runAsUser: z.number().int().min(1).default(1000).describe("non-root user id the app runs as"),
  })
  .refine((a) => !(a.settings.storage !== undefined && a.storage === undefined), {
    error: "a storage setting needs a storage section (mountPath)",
    path: ["settings", "storage"],
  });
