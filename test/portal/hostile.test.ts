/**
 * Registry and environment values are hostile: a display name, an OIDC client id, an API server URL and a CI
 * audience made of markup, quotes and command substitutions reach the pages escaped and the setup script
 * quoted: nothing runs, nothing is injected, every value arrives intact.
 */
import { decodeHtml } from "./foreign";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { accessMatrix } from "../../plan/access";
import { buildPlan } from "../../plan/plan";
import { escapeHtml } from "../../portal/html";
import { kubeconfigYaml, setupScript } from "../../portal/setup-script";
import { buildSite, type Site } from "../../portal/site";
import type { RegistryModel } from "../../registry/model";
import { LAYERS } from "../../stacks/layers";
import { exampleEnvironmentData, exampleWithEnvironment } from "../plan/registries";
import { removeSandboxes, sandbox } from "./sandbox";

const NAME = `<script>alert("x")</script> O'Brien "$(touch pwned-name)" \`touch pwned-tick\` $HOME & <marquee>`;
const CLIENT_ID = `kube'$(touch pwned-client)'"; touch pwned-client2; "`;
const SERVER = "https://k8s.example.com:6443/$(touch%20pwned-server)";
const AUDIENCE = `vault" && touch pwned-aud && echo "'$(id)'`;

let model: RegistryModel;
let site: Site;
beforeAll(async () => {
  const env = exampleEnvironmentData();
  env.oidc.clientId = CLIENT_ID;
  env.clusters[0].server = SERVER;
  env.ci.perTenant.audience = AUDIENCE;
  model = exampleWithEnvironment(env, (doc) =>
    doc.id === "bob" ? { ...doc, data: { ...(doc.data as object), displayName: NAME } } : doc,
  );
  const plan = await buildPlan(model, LAYERS);
  site = buildSite(model, plan, accessMatrix(model, plan), {
    environment: "example",
    commit: "f".repeat(40),
    uncommitted: true,
  });
}, 120_000);
afterEach(removeSandboxes);

describe("hostile values", () => {
  it("are valid registry input (the test is not vacuous)", () => {
    expect(model.tenants.find((t) => t.id === "bob")!.displayName).toBe(NAME);
    expect(model.environment.oidc.clientId).toBe(CLIENT_ID);
    expect(model.environment.clusters[0]!.server).toBe(SERVER);
  });

  it("reach every page escaped: no markup of theirs, their text intact", () => {
    for (const [path, text] of site) {
      if (!path.endsWith(".html")) continue;
      expect(text, path).not.toMatch(/<script|<marquee>|alert\("x"\)/);
      for (const raw of [NAME, CLIENT_ID, AUDIENCE]) expect(text, path).not.toContain(raw);
    }
    const bob = site.get("tenants/bob/index.html")!;
    expect(bob).toContain(`<h1>${escapeHtml(NAME)}</h1>`);
    expect(bob).toContain(escapeHtml(CLIENT_ID));
    expect(site.get("index.html")).toContain(`<td>${escapeHtml(NAME)}</td>`);
    expect(site.get("tenants/bob/index.html")).toContain("(with uncommitted changes)");
  });

  it("reach the CI pipeline as YAML strings that the shell only sees as variables", () => {
    const bob = site.get("tenants/bob/index.html")!;
    const ci = bob.slice(bob.indexOf('id="ci"'));
    const code = ci.slice(ci.indexOf("<pre><code>") + 11, ci.indexOf("</code></pre>"));
    const decoded = decodeHtml(code);
    const workflow = parse(decoded) as {
      jobs: { deploy: { env: Record<string, string>; steps: { run: string }[] } };
    };
    expect(workflow.jobs.deploy.env.AUDIENCE).toBe(AUDIENCE);
    expect(workflow.jobs.deploy.env.KUBE_SERVER).toBe(SERVER);
    expect(workflow.jobs.deploy.steps.find((s) => s.run)!.run).not.toContain("pwned");
  });

  it.each(["/bin/sh", "/bin/bash"])("reach the setup script quoted: %s runs nothing of theirs", (shell) => {
    const script = setupScript(model, "bob");
    expect(script).toContain(`TENANT_NAME='<script>alert("x")</script> O'\\''Brien`);
    const s = sandbox(script);
    const r = s.run(shell);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Setting up kubectl access for ${NAME} (tenant bob, environment example)`);
    const written = readFileSync(join(s.home, ".kube", "config"), "utf8");
    expect(written).toBe(kubeconfigYaml(model, "bob"));
    const config = parse(written) as {
      clusters: { cluster: { server: string } }[];
      users: { user: { exec: { args: string[] } } }[];
    };
    expect(config.clusters[0]!.cluster.server).toBe(SERVER);
    expect(config.users[0]!.user.exec.args).toContain(`--oidc-client-id=${CLIENT_ID}`);
    for (const dir of [s.root, s.home])
      for (const f of [
        "pwned-name",
        "pwned-tick",
        "pwned-client",
        "pwned-client2",
        "pwned-server",
        "pwned-aud",
      ])
        expect(existsSync(join(dir, f)), f).toBe(false);
  });
});
