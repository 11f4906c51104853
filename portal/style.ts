/** The portal's stylesheet, inlined into every page so that each page stands alone behind a proxy. */
export const STYLE = `
:root { --ink: #1d2733; --muted: #5b6b7c; --line: #dde3ea; --bg: #f4f6f9; --card: #fff; --accent: #2357c6;
  --owner: #2357c6; --developer: #1f8a5b; --viewer: #8a96a3; --deployer: #d9822b; --other: #9b59b6; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: var(--bg); }
header.top { background: #17212e; color: #fff; padding: 18px 32px 16px; }
header.top h1 { margin: 0; font-size: 22px; font-weight: 600; }
header.top .sub { color: #b8c4d2; margin-top: 4px; }
header.top .sub b { color: #fff; font-weight: 600; }
header.top a { color: #9cc0ff; }
nav.sections { background: #223044; padding: 0 32px; display: flex; gap: 2px; flex-wrap: wrap; }
nav.sections a { color: #c9d5e3; text-decoration: none; padding: 8px 12px; font-size: 13px; }
nav.sections a:hover { background: #2e4059; color: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 32px 8px; }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin-bottom: 18px; }
section.card > h2 { margin: 0 0 10px; font-size: 17px; }
h3 { font-size: 14px; margin: 14px 0 6px; }
p.note, .muted { color: var(--muted); }
p.note { margin: 4px 0 10px; }
.banner { background: #fff4e0; border: 1px solid #f0c987; color: #7a4a00; padding: 10px 14px; border-radius: 6px; margin-bottom: 18px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 10px 5px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); font-weight: 600; }
tr:last-child td { border-bottom: 0; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
code { background: #eef2f7; padding: 1px 4px; border-radius: 3px; }
pre { background: #17212e; color: #e6edf5; padding: 12px 14px; border-radius: 6px; overflow-x: auto; margin: 6px 0 10px; }
pre code { background: none; padding: 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 14px; }
.ns { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; }
.ns h3 { margin: 0 0 6px; font-size: 15px; }
.kv { display: grid; grid-template-columns: auto 1fr; gap: 1px 14px; font-size: 13px; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
.pill { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; background: #e8eef8; color: #23406e; margin: 1px 2px 1px 0; white-space: nowrap; }
.pill.warn { background: #fde8d7; color: #8a3b00; }
.pill.ok { background: #dff3e8; color: #17603f; }
.pill.off { background: #eceff3; color: #66727f; }
.stats { display: flex; gap: 14px; flex-wrap: wrap; margin-bottom: 18px; }
.stat { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 18px; min-width: 140px; }
.stat b { display: block; font-size: 22px; }
.stat span { color: var(--muted); font-size: 12px; }
a.button { display: inline-block; background: var(--accent); color: #fff; text-decoration: none; padding: 7px 14px; border-radius: 6px; margin: 2px 8px 8px 0; font-weight: 600; }
a.button.secondary { background: #e8eef8; color: #23406e; }
details summary { cursor: pointer; color: var(--accent); white-space: nowrap; }
details ul { margin: 4px 0; padding-left: 18px; columns: 2; font-size: 12.5px; }
footer { max-width: 1180px; margin: 0 auto; padding: 6px 32px 28px; color: var(--muted); font-size: 12px; }
.graph-wrap { overflow-x: auto; }
svg.graph { font: 11.5px ui-monospace, "DejaVu Sans Mono", monospace; display: block; }
svg.graph .node rect { fill: #eef2f7; stroke: #b9c4d1; }
svg.graph .tenant rect { fill: #17212e; stroke: #17212e; }
svg.graph .tenant text { fill: #fff; font-weight: 600; }
svg.graph .namespace rect { fill: #e3ecfb; stroke: #9db6e3; }
svg.graph .principal rect { fill: #fff; }
svg.graph .offboarding rect { fill: #f3f3f3; stroke: #ccc; stroke-dasharray: 3 2; }
svg.graph .offboarding text { fill: #888; }
svg.graph .edge { fill: none; stroke-width: 1.6; opacity: .75; }
svg.graph .owns { stroke: #17212e; opacity: .35; }
svg.graph .owner { stroke: var(--owner); }
svg.graph .developer { stroke: var(--developer); }
svg.graph .viewer { stroke: var(--viewer); stroke-dasharray: 4 3; }
svg.graph .deployer { stroke: var(--deployer); }
svg.graph .other { stroke: var(--other); }
.legend span { display: inline-flex; align-items: center; margin-right: 14px; font-size: 12px; color: var(--muted); }
.legend i { display: inline-block; width: 18px; height: 3px; margin-right: 5px; border-radius: 2px; }
.filters { display: flex; flex-wrap: wrap; align-items: center; gap: 4px; margin: 4px 0 8px; }
.filters .label { color: var(--muted); font-size: 12px; width: 60px; text-transform: uppercase; letter-spacing: .03em; }
.filters label { cursor: pointer; padding: 2px 10px; border: 1px solid var(--line); border-radius: 12px; font-size: 12.5px; background: #fff; }
input.filter { position: absolute; opacity: 0; pointer-events: none; }
table.matrix td { font-size: 12.5px; }
table.matrix td.principal { font-family: ui-monospace, "DejaVu Sans Mono", monospace; white-space: nowrap; }
`;
