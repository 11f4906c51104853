/** Schema primitives every concern's schema builds on: names (tenant ids, namespaces, hostnames, emails, labels), visible text, safe map keys, quantities and counts, label maps, CIDRs and IPs. */
import { z } from "zod";
import { UsageError, show } from "./problems";
import { isQuantity, parseQuantity, QUANTITY_EXPECTED } from "./quantity";

export const isnt = (what: string) => ({
  error: (iss: { input?: unknown }) => `${show(iss.input)} is not ${what}`,
});

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const NAMESPACE_EXPECTED = "a valid namespace name (lowercase RFC 1123 label, at most 63 characters)";

export const TENANT_ID_EXPECTED = "a valid tenant id (lowercase RFC 1123 label, at most 63 characters)";

export const HOSTNAME_EXPECTED =
  "a valid hostname (lowercase RFC 1123 labels separated by dots, at most 253 characters)";

export function isLabel(s: string): boolean {
  return s.length <= 63 && LABEL.test(s);
}

/** RFC 1123 hostname, lowercase; a leading `*.` is accepted here and judged against the environment later. */
export function isHostname(s: string): boolean {
  const host = s.startsWith("*.") ? s.slice(2) : s;
  if (s.length > 253 || host === "") return false;
  const labels = host.split(".");
  return labels.length >= 2 && labels.every(isLabel);
}

// `meta` carries the same rule into the published JSON Schema, for editors.
const labelMeta = { pattern: LABEL.source, maxLength: 63 };

export const TenantId = z.string().refine(isLabel, isnt(TENANT_ID_EXPECTED)).meta(labelMeta);

export const NamespaceName = z.string().refine(isLabel, isnt(NAMESPACE_EXPECTED)).meta(labelMeta);

export const Hostname = z.string().refine(isHostname, isnt(HOSTNAME_EXPECTED)).meta({
  pattern: "^(\\*\\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
  maxLength: 253,
});

/**
 * An email: ASCII letters, digits and `._%+-` before the @, a hostname after. No invisible, control or
 * non-ASCII characters, so no address can render like another tenant's. Plus-addressing
 * (`alice+ops@example.com`) is a legitimate address and allowed; it is a different identity from
 * `alice@example.com`. Emails are compared case-insensitively.
 */
export const Email = z
  .string()
  .refine(
    (s) => /^[A-Za-z0-9._%+-]+@[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/i.test(s),
    isnt("a valid email address"),
  );

/** Control, format (zero-width, bidi) and separator characters: nothing a reader can see or trust. */
export const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** Free text shown to people: no invisible or control characters. */
export const VisibleText = z
  .string()
  .refine((s) => !INVISIBLE.test(s), isnt("visible text (it holds control or invisible characters)"));

/** Keys no map may have: they would be dropped, or reach an object's prototype. */
const UNSAFE_KEYS = new Set(["", "__proto__", "constructor", "prototype"]);

/** A map key: not empty, not a prototype key. */
export function safeKey<T extends z.ZodType<string>>(key: T) {
  return key.refine((k) => !UNSAFE_KEYS.has(k), {
    error: (iss: { input?: unknown }) => `${show(iss.input)} cannot be a key (empty or a prototype key)`,
  });
}

export const AnyKey = safeKey(z.string());

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const EnvName = z.string().refine((s) => ENV_NAME.test(s), isnt("an environment variable name"));

export const Quantity = z
  .union([z.string(), z.number()])
  .refine(isQuantity, isnt(QUANTITY_EXPECTED))
  .transform(String)
  .describe(QUANTITY_EXPECTED);

export const Count = z
  .union([z.string(), z.number()])
  .refine((v) => {
    const q = isQuantity(v) ? parseQuantity(v) : undefined;
    return q !== undefined && q % 1_000_000_000n === 0n;
  }, isnt("a whole number of objects"))
  .transform(String)
  .describe("a whole number of objects");

/** Kubernetes label keys (optional DNS prefix, then a name) and values, as the API server checks them. */
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;

function isLabelKey(k: string): boolean {
  const slash = k.lastIndexOf("/");
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  return (
    name.length <= 63 &&
    LABEL_NAME.test(name) &&
    (prefix === undefined || (prefix.length <= 253 && isHostname(prefix)))
  );
}

/** A label value: empty, or at most 63 characters of letters, digits, -, _ and . (alphanumeric at both ends). */
/** Refuses (UsageError) an environment name that is no lowercase RFC 1123 label; `where` says where it was given. */
export function checkEnvName(env: unknown, where = "--env"): asserts env is string {
  if (typeof env !== "string" || !isLabel(env))
    throw new UsageError(
      `${where} ${JSON.stringify(env)} is not a valid environment name (lowercase letters, digits, dashes)`,
    );
}

export function isLabelValue(v: string): boolean {
  return v === "" || (v.length <= 63 && LABEL_NAME.test(v));
}

export const LABEL_VALUE_EXPECTED = "a valid label value (at most 63 characters: letters, digits, -, _, .)";

export const LabelMap = z.record(AnyKey, z.string()).superRefine((labels, ctx) => {
  for (const [k, v] of Object.entries(labels)) {
    if (!isLabelKey(k))
      ctx.addIssue({ code: "custom", path: [k], message: `${show(k)} is not a valid label key` });
    if (!isLabelValue(v))
      ctx.addIssue({ code: "custom", path: [k], message: `${show(v)} is not ${LABEL_VALUE_EXPECTED}` });
  }
});

/** A label key as a selector names it. */
export const LabelKey = z.string().refine(isLabelKey, isnt("a valid label key"));

/** An IPv4 or IPv6 CIDR. */
export function isCidr(s: string): boolean {
  const [ip = "", bits, ...rest] = s.split("/");
  if (rest.length > 0 || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
  const ipv4 = ip.split(".");
  if (ipv4.length === 4)
    return Number(bits) <= 32 && ipv4.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
  return Number(bits) <= 128 && /^[0-9a-fA-F:]+$/.test(ip) && ip.includes(":");
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIp(s: string): boolean {
  return IPV4.test(s) || isCidr(`${s}/128`);
}
