/**
 * From raw text or data to checked documents: safe YAML parsing and zod issues turned into Problems.
 */
import { closest, distance } from "fastest-levenshtein";
import * as jsyaml from "js-yaml";
import { visit } from "jsonc-parser";
import { type Document, LineCounter, isMap, isScalar, isSeq, parseDocument } from "yaml";
import { z } from "zod";
import { type PathSegment, type Problem, cut, formatPath, show } from "../components/core/problems";

/** Largest tenant or environment file accepted. */
export const MAX_FILE_BYTES = 256 * 1024;
/** Aliases allowed in one document: enough for anchors used by hand, far too few for a "billion laughs". */
const MAX_ALIASES = 50;
/** Longest YAML parser message kept in a problem. */
const MAX_SYNTAX_MESSAGE = 120;
/** Deepest nesting of objects and arrays accepted in JSON: far beyond any record, far below the stack's limit. */
export const MAX_JSON_DEPTH = 64;

export type ParseResult = { ok: true; data: unknown } | { ok: false; problems: Problem[] };

/**
 * Parses one YAML document from bytes. Refuses non-UTF-8, oversized input, duplicate keys, alias bombs,
 * several documents, and anything that is not a mapping; never throws.
 */
/** Strict UTF-8 (invalid bytes throw); each `decode` call stands alone, so one decoder serves every file. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });

export function parseYaml(bytes: Uint8Array, source: string): ParseResult {
  const fail = (message: string, path: PathSegment[] = []): ParseResult => ({
    ok: false,
    problems: [{ source, path, message }],
  });
  if (bytes.byteLength > MAX_FILE_BYTES)
    return fail(`file is ${bytes.byteLength} bytes; at most ${MAX_FILE_BYTES} bytes are accepted`);
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return fail("file is not valid UTF-8 text");
  }
  if (text.includes("\u0000")) return fail("file contains NUL characters; expected YAML text");
  const fast = fastParse(text);
  if (fast !== undefined) return checkTop(fast, fail);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter, strict: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        const at = `line ${pos.line}, column ${pos.col}`;
        if (e.code === "DUPLICATE_KEY") {
          const dup = keyAt(doc, e.pos[0]);
          if (dup)
            return {
              source,
              path: dup.path,
              message: `${at}: duplicate key ${show(dup.key)}; a key may appear only once in a mapping`,
            };
        }
        if (e.code === "MULTIPLE_DOCS")
          return {
            source,
            path: [],
            message: `${at}: a second YAML document ("---"); expected one document`,
          };
        const what = e.code === "DUPLICATE_KEY" ? "duplicate key" : "YAML syntax error";
        // the parser's message can quote the file at length (a block scalar header, an escape): keep it short
        return {
          source,
          path: [],
          message: `${at}: ${what}: ${cut(firstLine(e.message), MAX_SYNTAX_MESSAGE)}`,
        };
      }),
    };
  }
  // a "__proto__" key would set the object's prototype instead of a field: refused before conversion
  const proto = protoKeys(doc.contents, []);
  if (proto.length > 0)
    return {
      ok: false,
      problems: proto.map((path) => ({
        source,
        path,
        message: `"__proto__" cannot be a key (empty or a prototype key)`,
      })),
    };
  // the yaml library's warnings (an unknown tag read as a plain string, ...) are problems, not stderr lines
  const warned = [
    ...doc.warnings.map((w) => {
      const pos = lineCounter.linePos(w.pos[0]);
      return {
        source,
        path: [] as PathSegment[],
        message: `line ${pos.line}, column ${pos.col}: ${cut(firstLine(w.message), MAX_SYNTAX_MESSAGE)}`,
      };
    }),
    ...lossy(doc.contents, []).map((l) => ({ source, ...l })),
  ];
  if (warned.length > 0) return { ok: false, problems: warned };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch {
    // the yaml library's ReferenceError ("resource exhaustion attack") is not worth showing
    return fail(`YAML aliases expand too far (more than ${MAX_ALIASES}); write the values out instead`);
  }
  return checkTop(data, fail);
}

/** A document's top level must be a mapping. */
function checkTop(data: unknown, fail: (message: string) => ParseResult): ParseResult {
  if (data === null || data === undefined) return fail("file is empty; expected a mapping of fields");
  if (typeof data !== "object" || Array.isArray(data))
    return fail(
      `expected a mapping of fields at the top level, got ${Array.isArray(data) ? "a list" : show(data)}`,
    );
  return { ok: true, data };
}

/*
 * The lines the fast path takes: what tenant records are made of, and nothing where js-yaml and the careful
 * parser could differ. Each line: indentation, at most one list dash, then `key:` with a value or nothing, or a
 * value (never a dash alone: empty and nested list items are read differently).
 * Keys are plain words (not null or ~, which the two parsers name differently). Values: a plain scalar of
 * word characters and single spaces (a colon only inside a word; not starting with `-` or `.`, so never a
 * document marker) that is not a hex, octal, binary or exponent number (js-yaml reads more forms as numbers); a single- or double-quoted string without escapes; or a flow list or mapping of those, on
 * the line, one level of nesting. No tabs, directives, document markers, block scalars, anchors, aliases,
 * tags, merge or complex keys: any other line sends the whole file the careful way.
 */
const WORD = String.raw`[A-Za-z0-9_@/+=](?:[A-Za-z0-9_@./+=-]|:(?=[A-Za-z0-9_@./+=-])| (?=[A-Za-z0-9_@./+=-]))*`;
const QUOTED = String.raw`"[^"\\]*"|'[^']*'`;
const ATOM = `(?:${QUOTED}|${WORD})`;
const FLAT = String.raw`[\[{] *(?:(?:${ATOM})(?: *: *(?:${ATOM}))? *(?:, *(?:${ATOM})(?: *: *(?:${ATOM}))? *)*,? *)?[\]}]`;
const FLOW = String.raw`[\[{] *(?:(?:${ATOM}|${FLAT})(?: *: *(?:${ATOM}|${FLAT}))? *(?:, *(?:${ATOM}|${FLAT})(?: *: *(?:${ATOM}|${FLAT}))? *)*,? *)?[\]}]`;
const VALUE = `(?:${QUOTED}|${FLOW}|${WORD})`;
const KEY = String.raw`(?!(?:null|Null|NULL|~):)[A-Za-z0-9_][A-Za-z0-9_./-]*`;
// a comment only after a space (`a: ""#x` is an error to the careful parser)
// a bare value only as a list item (an indented value on its own line continues a key above, differently)
const SAFE_LINE = new RegExp(
  String.raw`^ *(?:#.*|(?:(?:- +)?${KEY}:(?: +${VALUE})?|- +${VALUE}) *(?: #.*)?)?$`,
);
/** Plain values js-yaml reads as numbers where the core schema does not (or reads differently). */
const ODD_NUMBER = /(^|[\s:,[{-])[-+]?(0[bBoOxX]|\d[\d_]*(\.\d*)?[eE]|\.\d+[eE])/;

/**
 * The fast path (registry loads of thousands of files): plain documents parsed by js-yaml, several times
 * faster, under the same YAML 1.2 core schema. Only documents every line of which is SAFE_LINE take it, and
 * none of duplicate keys or `__proto__` keys (js-yaml refuses the former, the latter is checked): anything else,
 * and anything js-yaml refuses, goes the careful way, which reports it with line and field. Returns undefined
 * when the careful parser must decide. test/registry/parse-fast.test.ts checks the two agree.
 */
export function fastParse(text: string): unknown {
  if (text.includes("\t") || text.includes("&") || text.includes("*") || text.includes("!")) return undefined;
  for (const line of text.split("\n")) {
    const l = line.endsWith("\r") ? line.slice(0, -1) : line;
    const unquoted = l.replace(/"[^"]*"|'[^']*'/g, '""');
    // and numbers of 16 digits or more: the careful way refuses those beyond 2^53
    if (!SAFE_LINE.test(l) || ODD_NUMBER.test(unquoted) || /\d{16}/.test(unquoted)) return undefined;
  }
  let data: unknown;
  try {
    data = jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA, json: false });
  } catch {
    return undefined;
  }
  return hasProtoKey(data) ? undefined : data;
}

function hasProtoKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasProtoKey);
  if (value === null || typeof value !== "object") return false;
  return Object.keys(value).some(
    (k) => k === "__proto__" || hasProtoKey((value as Record<string, unknown>)[k]),
  );
}

/** Field paths of every `__proto__` key in a YAML document. */
/**
 * What the document holds that would silently become something else in JSON: a key that is a list or mapping
 * (stringified, with a warning of the yaml library's on stderr) and an integer beyond 2^53 (another number).
 */
function lossy(node: unknown, path: PathSegment[]): { path: PathSegment[]; message: string }[] {
  if (isSeq(node)) return node.items.flatMap((item, i) => lossy(item, [...path, i]));
  if (isScalar(node)) {
    const raw = node.source;
    return typeof node.value === "number" &&
      typeof raw === "string" &&
      /^[-+]?\d+$/.test(raw) &&
      !Number.isSafeInteger(node.value)
      ? [
          {
            path,
            message: `${cut(raw, 40)} is beyond the integers a number holds exactly (2^53); write a smaller one, or quote it if it is a name`,
          },
        ]
      : [];
  }
  if (!isMap(node)) return [];
  return node.items.flatMap((pair) => {
    if (!isScalar(pair.key))
      return [{ path, message: "a key that is a list or a mapping; a key must be a plain word" }];
    return lossy(pair.value, [...path, String(pair.key.value)]);
  });
}

function protoKeys(node: unknown, path: PathSegment[]): PathSegment[][] {
  if (isSeq(node)) return node.items.flatMap((item, i) => protoKeys(item, [...path, i]));
  if (!isMap(node)) return [];
  return node.items.flatMap((pair) => {
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    return key === "__proto__" ? [[...path, key]] : protoKeys(pair.value, [...path, key]);
  });
}

/** The key whose node starts at `offset` (where the yaml library reports a duplicate), and its field path. */
function keyAt(doc: Document, offset: number): { path: PathSegment[]; key: unknown } | undefined {
  const walk = (node: unknown, path: PathSegment[]): { path: PathSegment[]; key: unknown } | undefined => {
    if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) {
        const found = walk(item, [...path, i]);
        if (found) return found;
      }
    } else if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        const keyPath = [...path, String(key)];
        if (isScalar(pair.key) && pair.key.range?.[0] === offset) return { path: keyPath, key };
        const found = walk(pair.value, keyPath);
        if (found) return found;
      }
    }
    return undefined;
  };
  return walk(doc.contents, []);
}

function firstLine(s: string): string {
  return s.split("\n")[0]!.trim();
}

export type JsonResult =
  | { ok: true; value: unknown }
  /** Not JSON at all. */
  | { ok: false; syntax: true }
  /** JSON, but refused: a duplicate key or too deep; `path` locates it. */
  | { ok: false; syntax: false; path: PathSegment[]; message: string };

/** Thrown from inside the JSON visitor to stop at the first refusal. */
class JsonRefusal {
  constructor(
    readonly path: PathSegment[],
    readonly message: string,
  ) {}
}

/**
 * Parses JSON text that nobody vouches for. Refuses, with the path, a key that appears twice in one object
 * (JSON.parse keeps the last silently, so a second record would replace the first) and nesting deeper than
 * MAX_JSON_DEPTH (which would overflow the stack of whatever walks the value later). Never throws.
 */
export function parseJson(text: string): JsonResult {
  let depth = 0;
  const keys: Set<string>[] = [];
  const enter = (path: () => PathSegment[]) => {
    if (++depth > MAX_JSON_DEPTH)
      throw new JsonRefusal(path(), `is nested more than ${MAX_JSON_DEPTH} levels deep; expected plain data`);
  };
  try {
    // the visitor stops at the first refusal, before its own recursion can go deep
    visit(
      text,
      {
        onObjectBegin: (_offset, _length, _line, _column, path) => {
          enter(path);
          keys.push(new Set());
        },
        onObjectEnd: () => {
          depth--;
          keys.pop();
        },
        onArrayBegin: (_offset, _length, _line, _column, path) => enter(path),
        onArrayEnd: () => depth--,
        onObjectProperty: (key, _offset, _length, _line, _column, path) => {
          const seen = keys.at(-1);
          if (seen?.has(key))
            throw new JsonRefusal(
              [...path(), key],
              `duplicate key ${show(key)}; a key may appear only once in an object`,
            );
          seen?.add(key);
        },
      },
      { disallowComments: true },
    );
  } catch (e) {
    if (e instanceof JsonRefusal) return { ok: false, syntax: false, path: e.path, message: e.message };
    throw e;
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, syntax: true };
  }
}

/** Validates data against a schema; every issue becomes a Problem located in `source`. */
export function check<S extends z.ZodType>(
  schema: S,
  data: unknown,
  source: string,
): { ok: true; value: z.output<S> } | { ok: false; problems: Problem[] } {
  const result = schema.safeParse(data, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: result.error.issues.flatMap((i) => issueProblems(schema, i, source, [])) };
}

type Issue = z.core.$ZodIssue & { input?: unknown };

function issueProblems(schema: z.ZodType, issue: Issue, source: string, prefix: PathSegment[]): Problem[] {
  const path = [...prefix, ...(issue.path as PathSegment[])];
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeys(schema, path);
      return issue.keys.map((key) => {
        const renamed = RENAMED_FIELDS[formatPath([...path, key])];
        return {
          source,
          path: [...path, key],
          message: renamed ? `was renamed: ${renamed}` : unknownKeyMessage(key, known),
        };
      });
    }
    case "invalid_union": {
      // report the branch that got furthest: the first whose failure is not about the value's type itself
      const branches = issue.errors as Issue[][];
      const best =
        branches.find((b) => !b.some((i) => i.code === "invalid_type" && i.path.length === 0)) ??
        branches[0] ??
        [];
      if (best.length === 0 || best.every((i) => i.code === "invalid_type" && i.path.length === 0))
        return [{ source, path, message: `${show(issue.input)} is not any of the accepted forms` }];
      return best.flatMap((i) => issueProblems(schema, i, source, path));
    }
    case "invalid_type":
      if (issue.input === undefined) return [{ source, path, message: `is required (${issue.expected})` }];
      return [
        { source, path, message: `expected ${describeType(issue.expected)}, got ${show(issue.input)}` },
      ];
    case "too_small":
    case "too_big": {
      // zod's own wording ("Too small: expected array to have >=1 items"); a custom message is kept
      if (!/^Too (small|big):/.test(issue.message)) return [{ source, path, message: issue.message }];
      const small = issue.code === "too_small";
      const bound = small ? issue.minimum : issue.maximum;
      const exclusive = issue.inclusive === false;
      const cmp = small ? (exclusive ? "more than" : "at least") : exclusive ? "less than" : "at most";
      const what =
        issue.origin === "array"
          ? `a list of ${cmp} ${bound} item${bound === 1 ? "" : "s"}`
          : issue.origin === "string"
            ? `${cmp} ${bound} character${bound === 1 ? "" : "s"}`
            : `${cmp} ${bound}`;
      return [{ source, path, message: `expected ${what}, got ${show(issue.input)}` }];
    }
    case "invalid_key":
      // a map key refused by its own schema: its own message, at the key
      return (issue.issues as Issue[]).flatMap((i) => issueProblems(schema, i, source, path));
    case "invalid_format":
      return [
        {
          source,
          path,
          message: `${show(issue.input)} is not a valid ${issue.format === "url" ? "URL" : issue.format}`,
        },
      ];
    case "invalid_value":
      return [
        {
          source,
          path,
          message: `${show(issue.input)} is not one of ${issue.values.map((v) => show(v)).join(", ")}`,
        },
      ];
    default:
      return [{ source, path, message: issue.message }];
  }
}

function describeType(t: string): string {
  if (t === "int") return "a whole number";
  return t === "object" ? "a mapping" : t === "array" ? "a list" : `a ${t}`;
}

/** Fields that were renamed, by their old path, with how to write them now. */
const RENAMED_FIELDS: Readonly<Record<string, string>> = {
  "vault.layout":
    'write "tenantPaths: prefixed" for "layout: prefixed" and "tenantPaths: top-level" for "layout: legacy"',
};

export function unknownKeyMessage(key: string, known: string[]): string {
  const near = known.length > 0 ? closest(key, known) : undefined;
  const hint =
    // near enough to be a typo, and not a rewrite of the whole word ("<<" is not a typo of "ci")
    near !== undefined &&
    distance(key, near) <= Math.max(2, Math.floor(near.length / 3)) &&
    distance(key, near) < near.length
      ? `; did you mean "${near}"?`
      : "";
  return `unknown field ${show(key)}${hint}${known.length > 0 ? ` (known fields: ${known.join(", ")})` : ""}`;
}

/** The keys a strict object schema accepts at `path` (walking arrays, optionals, defaults, unions, records). */
function knownKeys(schema: z.ZodType, path: PathSegment[]): string[] {
  let node: z.ZodType | undefined = schema;
  for (const seg of path) {
    node = node && child(unwrap(node), seg);
  }
  const obj = node && pickObject(unwrap(node));
  return obj ? Object.keys(obj.shape) : [];
}

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (;;) {
    if (cur instanceof z.ZodOptional || cur instanceof z.ZodDefault || cur instanceof z.ZodNullable)
      cur = cur.unwrap() as z.ZodType;
    else if (cur instanceof z.ZodPipe) cur = cur.in as z.ZodType;
    else return cur;
  }
}

function pickObject(s: z.ZodType): z.ZodObject | undefined {
  if (s instanceof z.ZodObject) return s;
  if (s instanceof z.ZodUnion) {
    for (const o of s.options as z.ZodType[]) {
      const found = pickObject(unwrap(o));
      if (found) return found;
    }
  }
  return undefined;
}

function child(s: z.ZodType, seg: PathSegment): z.ZodType | undefined {
  if (s instanceof z.ZodArray) return s.element as z.ZodType;
  if (s instanceof z.ZodRecord) return s.valueType as z.ZodType;
  const obj = pickObject(s);
  if (obj && typeof seg === "string") return obj.shape[seg] as z.ZodType | undefined;
  return undefined;
}
