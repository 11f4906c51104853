/** The dns concern's part of the registry's schemas (registry/schema.ts assembles the tenant and environment files): strict everywhere, an unknown key is a typo. */
import { z } from "zod";
import { Hostname, isIp, isnt } from "../core/schema";

export const DnsRecords = z
  .strictObject({
    mode: z
      .enum(["tunnel", "ingress"])
      .describe(
        "tunnel: CNAME to <tunnelId>.cfargotunnel.com (behind a Cloudflare Tunnel); ingress: A/AAAA to the ingress addresses or a CNAME to its hostname",
      ),
    tunnelId: z
      .string()
      .regex(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
        "is not a Cloudflare Tunnel id (a UUID)",
      )
      .optional(),
    ingress: z
      .strictObject({
        addresses: z
          .array(z.string().refine(isIp, isnt("an IPv4 or IPv6 address")))
          .min(1)
          .optional(),
        hostname: Hostname.optional(),
      })
      .refine((i) => (i.addresses === undefined) !== (i.hostname === undefined), {
        error: "needs exactly one of addresses or hostname",
      })
      .optional(),
    ttl: z.number().int().min(1).max(86400).default(1).describe("seconds; 1 is Cloudflare's automatic TTL"),
    proxied: z
      .boolean()
      .optional()
      .describe("through Cloudflare's proxy; default: true for tunnel, false for ingress"),
  })
  .superRefine((r, ctx) => {
    if (r.mode === "tunnel" && r.tunnelId === undefined)
      ctx.addIssue({ code: "custom", path: ["tunnelId"], message: "is required with mode tunnel" });
    if (r.mode === "ingress" && r.ingress === undefined)
      ctx.addIssue({ code: "custom", path: ["ingress"], message: "is required with mode ingress" });
  });
