/**
 * Renders the example portal in a real browser: builds the site with `tenancy portal` into a temp dir and saves
 * screenshots of the index and of a tenant page with headless Chromium (Debian's `chromium` package) under
 * docs/. Not part of `npm test`: run it by hand after changing the pages.
 *
 *   npx tsx scripts/portal-screenshots.ts [--tenant alice] [--chromium /usr/bin/chromium]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const ROOT = join(__dirname, "..");
const { values } = parseArgs({
  options: {
    tenant: { type: "string", default: "alice" },
    chromium: { type: "string", default: "chromium" },
  },
});

function run(command: string, args: string[]): void {
  const r = spawnSync(command, args, { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  if (r.error) throw new Error(`${command}: ${r.error.message} (Debian: apt-get install chromium)`);
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
}

const out = mkdtempSync(join(tmpdir(), "tenancy-portal-"));
try {
  run(process.execPath, [join(ROOT, "bin", "tenancy.cjs"), "portal", "--out", out]);
  mkdirSync(join(ROOT, "docs"), { recursive: true });
  const shots: [string, string][] = [
    ["portal-index.png", join(out, "index.html")],
    ["portal-tenant.png", join(out, "tenants", values.tenant, "index.html")],
  ];
  for (const [png, page] of shots) {
    const target = join(ROOT, "docs", png);
    run(values.chromium, [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--hide-scrollbars",
      "--window-size=1280,900",
      `--screenshot=${target}`,
      pathToFileURL(page).href,
    ]);
    console.log(`${target}: ${Math.round(statSync(target).size / 1024)} KiB`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
