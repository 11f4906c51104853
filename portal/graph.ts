/**
 * The platform graph as an SVG drawn at build time (no script in the page): tenants -> their namespaces ->
 * the principals that reach each namespace, an edge per role, coloured by kind. Text is escaped like HTML
 * (SVG is XML); long labels are cut, with the whole label as the node's tooltip.
 */
import type { GraphData } from "./data";
import { type Html, escapeHtml, raw } from "./html";

const ROW = 28;
const NODE_H = 20;
const COLUMNS = { tenant: 16, namespace: 250, principal: 560 };
const WIDTH = { tenant: 150, namespace: 170, principal: 300 };
const SVG_WIDTH = COLUMNS.principal + WIDTH.principal + 16;

export type EdgeKind = "owner" | "developer" | "viewer" | "deployer" | "other";

export function edgeKind(role: string): EdgeKind {
  if (/deployer/.test(role)) return "deployer";
  if (/owner|admin/.test(role)) return "owner";
  if (/developer|edit/.test(role)) return "developer";
  if (/viewer|view|reader/.test(role)) return "viewer";
  return "other";
}

function cut(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`;
}

function node(x: number, y: number, width: number, label: string, cls: string): string {
  const chars = Math.floor((width - 12) / 6.6);
  return (
    `<g class="node ${cls}"><title>${escapeHtml(label)}</title>` +
    `<rect x="${x}" y="${y}" width="${width}" height="${NODE_H}" rx="4"/>` +
    `<text x="${x + 6}" y="${y + 14}">${escapeHtml(cut(label, chars))}</text></g>`
  );
}

function curve(x1: number, y1: number, x2: number, y2: number, cls: string, title: string): string {
  const mid = (x1 + x2) / 2;
  return `<path class="edge ${cls}" d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}"><title>${escapeHtml(title)}</title></path>`;
}

export function graphSvg(graph: GraphData): Html {
  const principals = [...new Set(graph.edges.map((e) => e.principal))];
  const rows = Math.max(graph.namespaces.length, principals.length, graph.tenants.length, 1);
  const height = rows * ROW + 8;
  const nsY = new Map(graph.namespaces.map((n, i) => [n.name, 4 + i * ROW]));
  // principals ordered by the first namespace they reach, so edges cross little
  const firstRow = (p: string) =>
    Math.min(...graph.edges.filter((e) => e.principal === p).map((e) => nsY.get(e.namespace) ?? 0));
  principals.sort((a, b) => firstRow(a) - firstRow(b) || (a < b ? -1 : 1));
  const spread = (count: number, i: number) =>
    4 + (count <= 1 ? 0 : (i * (rows - 1) * ROW) / Math.max(count - 1, rows - 1));
  const prY = new Map(principals.map((p, i) => [p, spread(principals.length, i)]));
  // a tenant sits at the middle of its namespaces (or in order, when it has none)
  const tenantY = new Map<string, number>();
  graph.tenants.forEach((t, i) => {
    const ys = graph.namespaces.filter((n) => n.tenant === t.id).map((n) => nsY.get(n.name)!);
    tenantY.set(t.id, ys.length ? (Math.min(...ys) + Math.max(...ys)) / 2 : spread(graph.tenants.length, i));
  });
  // tenants without namespaces may overlap others: nudge them apart
  const placed: number[] = [];
  for (const t of graph.tenants) {
    let y = tenantY.get(t.id)!;
    while (placed.some((p) => Math.abs(p - y) < NODE_H + 2)) y += NODE_H + 4;
    placed.push(y);
    tenantY.set(t.id, y);
  }
  const height2 = Math.max(height, ...placed.map((y) => y + NODE_H + 4));

  const parts: string[] = [];
  for (const n of graph.namespaces) {
    const ty = tenantY.get(n.tenant);
    if (ty === undefined) continue;
    parts.push(
      curve(
        COLUMNS.tenant + WIDTH.tenant,
        ty + NODE_H / 2,
        COLUMNS.namespace,
        nsY.get(n.name)! + NODE_H / 2,
        "owns",
        `${n.tenant} owns ${n.name}`,
      ),
    );
  }
  for (const e of graph.edges) {
    const y1 = nsY.get(e.namespace);
    const y2 = prY.get(e.principal);
    if (y1 === undefined || y2 === undefined) continue;
    parts.push(
      curve(
        COLUMNS.namespace + WIDTH.namespace,
        y1 + NODE_H / 2,
        COLUMNS.principal,
        y2 + NODE_H / 2,
        edgeKind(e.role),
        `${e.principal} reaches ${e.namespace} as ${e.role}`,
      ),
    );
  }
  for (const t of graph.tenants)
    parts.push(
      node(
        COLUMNS.tenant,
        tenantY.get(t.id)!,
        WIDTH.tenant,
        t.id,
        t.offboarding ? "tenant offboarding" : "tenant",
      ),
    );
  for (const n of graph.namespaces)
    parts.push(
      node(
        COLUMNS.namespace,
        nsY.get(n.name)!,
        WIDTH.namespace,
        n.name,
        n.offboarding ? "namespace offboarding" : "namespace",
      ),
    );
  for (const p of principals)
    parts.push(node(COLUMNS.principal, prY.get(p)!, WIDTH.principal, p, "principal"));

  return raw(
    `<svg class="graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${SVG_WIDTH} ${height2}" width="${SVG_WIDTH}" height="${height2}" role="img" aria-label="tenants, their namespaces and who can reach them">` +
      parts.join("") +
      `</svg>`,
  );
}
