/** The events concern's part of the registry's schemas (registry/schema.ts assembles the tenant and environment files): strict everywhere, an unknown key is a typo. */
import { z } from "zod";
import { isnt } from "../core/schema";

/** Loopback hosts a webhook may be reached over plain http (a receiver beside the runner); anything else needs https. */
const LOOPBACK = /^http:\/\/(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])(:\d+)?(\/|$)/;

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
  })
  .describe(
    "after a successful up: a signed JSON event per tenant onboarded, changed or offboarded, POSTed to each webhook",
  );
