/** Shell quoting for generated scripts: a value between single quotes is never expanded by sh or bash. */

/** `'...'` with each `'` written as `'\''`: safe for any string, newlines and `$(...)` included. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
