/**
 * Kubernetes resource quantities ("500m", "4Gi", "1e3", "20"), parsed exactly so they can be compared
 * and summed. Values are held as BigInt nano-units; a fraction below a nano-unit rounds up, as the API
 * server does.
 */

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const NANO = 1_000_000_000n;

const SUFFIX: Record<string, { num: bigint; den: bigint }> = {
  "": { num: NANO, den: 1n },
  n: { num: 1n, den: 1n },
  u: { num: 1_000n, den: 1n },
  m: { num: 1_000_000n, den: 1n },
  k: { num: NANO * 10n ** 3n, den: 1n },
  M: { num: NANO * 10n ** 6n, den: 1n },
  G: { num: NANO * 10n ** 9n, den: 1n },
  T: { num: NANO * 10n ** 12n, den: 1n },
  P: { num: NANO * 10n ** 15n, den: 1n },
  E: { num: NANO * 10n ** 18n, den: 1n },
  Ki: { num: NANO * 2n ** 10n, den: 1n },
  Mi: { num: NANO * 2n ** 20n, den: 1n },
  Gi: { num: NANO * 2n ** 30n, den: 1n },
  Ti: { num: NANO * 2n ** 40n, den: 1n },
  Pi: { num: NANO * 2n ** 50n, den: 1n },
  Ei: { num: NANO * 2n ** 60n, den: 1n },
};

/** What the error messages say a quantity is. */
export const QUANTITY_EXPECTED = 'a Kubernetes quantity such as "500m", "2", "4Gi" or "1e3"';

/**
 * Parsed strings, by text: a registry repeats a few quantities in every namespace, and every quota
 * comparison parses both sides (a 10,000-tenant registry asks about a million times). Bounded.
 */
const parsed = new Map<string, bigint | undefined>();
const MAX_CACHED = 4096;

/** Parses a quantity into nano-units; undefined when it is not a valid, non-negative quantity. */
export function parseQuantity(input: string | number): bigint | undefined {
  if (typeof input === "number") return parse(input);
  if (parsed.has(input)) return parsed.get(input);
  const value = parse(input);
  if (parsed.size >= MAX_CACHED) parsed.clear();
  parsed.set(input, value);
  return value;
}

function parse(input: string | number): bigint | undefined {
  const text = typeof input === "number" ? String(input) : input;
  if (typeof input === "number" && (!Number.isFinite(input) || text.includes("e"))) return undefined;
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const [, sign, number = "", suffix = ""] = m;
  if (sign === "-") return undefined;
  let factor = SUFFIX[suffix];
  if (!factor) {
    // decimal exponent, e.g. 1e3 or 5E-3
    const exp = Number(suffix.slice(1));
    if (!Number.isSafeInteger(exp) || Math.abs(exp) > 30) return undefined;
    factor = exp >= 0 ? { num: NANO * 10n ** BigInt(exp), den: 1n } : { num: NANO, den: 10n ** BigInt(-exp) };
  }
  const [whole = "", frac = ""] = number.split(".");
  const digits = BigInt((whole || "0") + frac);
  const scale = 10n ** BigInt(frac.length);
  const num = digits * factor.num;
  const den = scale * factor.den;
  // round up to a whole nano-unit
  return (num + den - 1n) / den;
}

export function isQuantity(input: unknown): input is string | number {
  return (typeof input === "string" || typeof input === "number") && parseQuantity(input) !== undefined;
}

/** Nano-units back to a readable quantity: "2", "500m", "4Gi". */
export function formatQuantity(nano: bigint): string {
  for (const suffix of ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"]) {
    const f = SUFFIX[suffix]!.num;
    if (nano >= f && nano % f === 0n) return `${nano / f}${suffix}`;
  }
  if (nano % NANO === 0n) return `${nano / NANO}`;
  if (nano % 1_000_000n === 0n) return `${nano / 1_000_000n}m`;
  if (nano % 1_000n === 0n) return `${nano / 1_000n}u`;
  return `${nano}n`;
}
