/**
 * The pull request comment the pipelines post (ARCHITECTURE.md, "Pipelines"): `diff --format markdown`, or the
 * validation problems when the registry does not validate, headed by a marker the pipelines find the previous
 * comment by (one comment per pull request, edited), and cut to fit the forge's limit (GitHub refuses a body
 * over 65,536 characters) with a link to the full diff, which the pipeline uploads as an artifact.
 *
 * Plain text in, plain text out: no registry is read here.
 */

/** The first line of every comment tenancy posts: the pipelines edit the comment that starts with it. */
export const COMMENT_MARKER = "<!-- tenancy:pr-comment -->";
/** Under GitHub's 65,536 characters, with room to spare for what a forge adds. */
export const DEFAULT_MAX_CHARS = 60_000;

export interface CommentOptions {
  /** The longest comment, marker and note included. */
  maxChars?: number;
  /** Where the full text is: the artifact (GitHub), the pipeline's log (Woodpecker). */
  link?: string;
}

export interface Comment {
  text: string;
  /** Sections of the body left out to fit. */
  omitted: number;
  /** Sections in the body. */
  sections: number;
}

/**
 * A line that starts a section of `diff --format markdown`: a tenant's collapsible part, or, once those began, a
 * heading (the access delta). What comes before the first tenant's part (the summary, the banners) is the head.
 */
const SECTION_START = /^<details>/;
const LATER_SECTION_START = /^#{1,4} /;

/**
 * The body's sections: the head (summary table, banners, the guard's verdict: everything before the first
 * tenant's part) and then each part from one section start to the next. A code fence is never split.
 */
function sections(body: string): { head: string; parts: string[] } {
  const lines = body.replace(/\n+$/, "").split("\n");
  const starts: number[] = [];
  let fence = false;
  lines.forEach((line, i) => {
    if (/^(```|~~~)/.test(line)) fence = !fence;
    else if (!fence && (SECTION_START.test(line) || (starts.length > 0 && LATER_SECTION_START.test(line))))
      starts.push(i);
  });
  const bounds = [...starts, lines.length];
  const head = lines.slice(0, bounds[0]).join("\n").trimEnd();
  const parts = starts.map((s, k) =>
    lines
      .slice(s, bounds[k + 1])
      .join("\n")
      .trimEnd(),
  );
  return { head, parts };
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

/** The last line: the link to the full diff, and what was left out if anything (omitted < 0: the head was cut). */
function footer(link: string | undefined, omitted: number, sectionsTotal: number, bodyChars: number): string {
  const where = link ? `[the full diff](${link})` : "the full diff in the pipeline's log";
  if (omitted === 0) return link ? `<sub>Full diff: [artifact](${link})</sub>` : "";
  const what = omitted < 0 ? "the rest" : `${plural(omitted, "section")} of ${sectionsTotal}`;
  return (
    `> **Cut to fit a comment:** ${what} left out ` +
    `(the whole diff is ${bodyChars.toLocaleString("en")} characters). Read ${where}.`
  );
}

/** The head alone, cut at a line so that marker, head and footer fit; an open fence or details closed. */
function cutHead(head: string, room: number): string {
  const lines = head.split("\n");
  const out: string[] = [];
  let used = 0;
  let fence = false;
  let details = 0;
  for (const line of lines) {
    // what closing an open fence or details would take
    const closing = (fence ? 4 : 0) + details * 11;
    if (used + line.length + 1 + closing > room) break;
    out.push(line);
    used += line.length + 1;
    if (/^(```|~~~)/.test(line)) fence = !fence;
    if (line.startsWith("<details>")) details++;
    if (line.startsWith("</details>")) details = Math.max(0, details - 1);
  }
  if (fence) out.push("```");
  for (; details > 0; details--) out.push("</details>");
  return out.join("\n");
}

/**
 * The comment for a markdown body: the marker, the head, as many whole sections as fit in their order, and a
 * footer linking the full text (saying what was left out when anything was).
 */
export function capComment(body: string, opts: CommentOptions = {}): Comment {
  const max = opts.maxChars ?? DEFAULT_MAX_CHARS;
  const { head, parts } = sections(body);
  const whole = [COMMENT_MARKER, head, ...parts].join("\n\n");
  const complete = footer(opts.link, 0, parts.length, body.length);
  const withFooter = (text: string, foot: string) => (foot ? `${text}\n\n${foot}\n` : `${text}\n`);
  if (withFooter(whole, complete).length <= max)
    return { text: withFooter(whole, complete), omitted: 0, sections: parts.length };

  // the longest footer a cut can need: every section left out
  const longestFooter = Math.max(
    footer(opts.link, Math.max(parts.length, 1), parts.length, body.length).length,
    footer(opts.link, -1, parts.length, body.length).length,
  );
  const room = max - longestFooter - 2 - 1;
  let text = `${COMMENT_MARKER}\n\n${head}`;
  let headCut = false;
  if (text.length > room) {
    text = `${COMMENT_MARKER}\n\n${cutHead(head, room - COMMENT_MARKER.length - 2)}`;
    headCut = true;
  }
  let kept = 0;
  for (const part of parts) {
    if (headCut || text.length + 2 + part.length > room) break;
    text += `\n\n${part}`;
    kept++;
  }
  const omitted = parts.length - kept;
  return {
    text: withFooter(text, footer(opts.link, headCut ? -1 : omitted, parts.length, body.length)),
    omitted,
    sections: parts.length,
  };
}

/** A fence longer than any run of backticks in `text`, so nothing inside can close it. */
function fenceFor(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return "`".repeat(longest + 1);
}

/**
 * The comment when the registry does not validate: `tenancy validate`'s problems (its stderr, one problem a
 * line, already escaped for a terminal) as a code block, cut to fit with a link to the log.
 */
export function problemsComment(problems: string, opts: CommentOptions = {}): Comment {
  const lines = problems.replace(/\n+$/, "").split("\n");
  const fence = fenceFor(problems);
  const head = [
    "### tenancy validate: the registry does not validate",
    "",
    "Nothing was planned. Fix these, with file and field, and push again:",
  ].join("\n");
  // one section per problem line, so the cut keeps whole lines; the fence wraps what is kept
  const max = opts.maxChars ?? DEFAULT_MAX_CHARS;
  const link = opts.link ? ` ([the pipeline's log](${opts.link}))` : "";
  const build = (kept: string[], omitted: number) =>
    [
      COMMENT_MARKER,
      "",
      head,
      "",
      fence + "text",
      ...kept,
      fence,
      ...(omitted > 0 ? ["", `> **Cut to fit a comment:** ${plural(omitted, "more line")}${link}.`] : []),
      "",
    ].join("\n");
  let kept = lines;
  while (kept.length > 0 && build(kept, lines.length - kept.length).length > max)
    kept = kept.slice(0, Math.max(0, Math.min(kept.length - 1, Math.floor(kept.length * 0.9))));
  // a single line longer than the whole comment: cut it
  let text = build(kept, lines.length - kept.length);
  if (text.length > max) text = build([lines[0]!.slice(0, max / 2)], lines.length);
  return { text, omitted: lines.length - kept.length, sections: lines.length };
}
