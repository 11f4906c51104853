/** The events concern's part of the registry's schemas (registry/schema.ts assembles the tenant and environment files): strict everywhere, an unknown key is a typo. */
import { z } from "zod";
import { show } from "../core/problems";
import { isHostname, isIp, isnt } from "../core/schema";

/** Loopback hosts a webhook may be reached over plain http (a receiver beside the runner); anything else needs https. */
const LOOPBACK = /^http:\/\/(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])(:\d+)?(\/|$)/;

/** The event types, as a hook's `events` filter names them. */
export const EVENT_TYPES = ["tenant.onboarded", "tenant.changed", "tenant.offboarded"] as const;

/** Most hooks one tenant may name. */
export const MAX_HOOKS = 5;

/** What tenant records may name as their own hooks (docs/hooks.md): on by default, https to public hosts only. */
const TenantHookSettings = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe("tenant records may name hooks; false: a record naming one is refused at validation"),
    allowHosts: z
      .array(
        z
          .string()
          .refine(
            (h) => (isHostname(h) && !h.startsWith("*")) || isIp(h),
            isnt("a host name or an IP address (no wildcard)"),
          ),
      )
      .max(100)
      .default([])
      .describe(
        "host names or addresses tenant hooks may reach although they are local or private (e.g. a receiver on the platform's own network); their addresses are not checked at delivery",
      ),
    allowHttp: z
      .boolean()
      .default(false)
      .describe("tenant hooks may use plain http (a test receiver); default: https only"),
  })
  .prefault({})
  .describe(
    "hooks tenants name in their records: each receives its own tenant's events only, signed with the tenant's secret from Vault",
  );

/**
 * A tenant's own hooks (the tenant file's `hooks`). Where a URL may point depends on the environment
 * (events.tenantHooks), judged by the events rules (components/events/rules.ts).
 */
export const TenantHooks = z
  .array(
    z.strictObject({
      url: z
        .string()
        .max(2048)
        .url()
        .refine((u) => /^https?:\/\//i.test(u), isnt("an https URL"))
        .refine((u) => {
          const url = URL.canParse(u) ? new URL(u) : undefined;
          return url === undefined || (url.username === "" && url.password === "");
        }, "carries a user name or password: put no credentials in a hook's URL (its events are signed)")
        .describe("where each of the tenant's events is POSTed (https; a public host)"),
      events: z
        .array(z.enum(EVENT_TYPES))
        .min(1)
        .refine((e) => new Set(e).size === e.length, "lists an event type twice")
        .optional()
        .describe("the event types it receives; default: all"),
    }),
  )
  .max(MAX_HOOKS, `at most ${MAX_HOOKS} hooks per tenant`)
  .superRefine((hooks, ctx) => {
    const seen = new Set<string>();
    hooks.forEach((h, i) => {
      if (seen.has(h.url))
        ctx.addIssue({ code: "custom", path: [i, "url"], message: `${show(h.url)} is listed twice` });
      seen.add(h.url);
    });
  })
  .optional()
  .describe(
    "the tenant's own webhooks: each receives this tenant's events only, signed with its secret from Vault (docs/hooks.md)",
  );

export const Events = z
  .strictObject({
    webhooks: z
      .array(
        z.strictObject({
          url: z
            .string()
            .url()
            .refine(
              (u) => u.startsWith("https://") || LOOPBACK.test(u),
              isnt("an https URL (plain http on loopback only)"),
            )
            .describe("where each event is POSTed"),
          secretEnv: z
            .string()
            .refine((v) => /^[A-Z_][A-Z0-9_]*$/.test(v), isnt("an environment variable name (A-Z, 0-9, _)"))
            .describe(
              "the environment variable holding the HMAC-SHA256 signing secret; never the secret itself",
            ),
        }),
      )
      .default([]),
    attempts: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(4)
      .describe("tries per event and webhook, with backoff"),
    timeoutSeconds: z.number().int().min(1).max(120).default(10).describe("per try"),
    tenantHooks: TenantHookSettings,
  })
  .describe(
    "after a successful up: a signed JSON event per tenant onboarded, changed or offboarded, POSTed to each webhook",
  );
