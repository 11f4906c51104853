import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { accessMatrix } from "../../plan/access";
import { buildPlan } from "../../plan/plan";
import type { AccessRow } from "../../policy/access";
import { tenantKubeconfig } from "../../policy/kubeconfig";
import { buildSite, type Site } from "../../portal/site";
import type { Provenance } from "../../portal/provenance";
import type { RegistryModel } from "../../registry/model";
import { LAYERS } from "../../stacks/layers";
import { exampleWithSharedCi, loadExample } from "../plan/registries";
import { decodeHtml, foreignData } from "./foreign";

const PROVENANCE: Provenance = {
  environment: "example",
  commit: "0123456789abcdef0123456789abcdef01234567",
  uncommitted: false,
};

let model: RegistryModel;
let rows: AccessRow[];
let site: Site;

beforeAll(async () => {
  model = await loadExample();
  const plan = await buildPlan(model, LAYERS);
  rows = accessMatrix(model, plan);
  site = buildSite(model, plan, rows, PROVENANCE);
}, 120_000);

const file = (path: string) => {
  const text = site.get(path);
  if (text === undefined) throw new Error(`no ${path} in the site: ${[...site.keys()].join(", ")}`);
  return text;
};
/** The text of the section with this id (up to the next section). */
const section = (page: string, id: string) => {
  const start = page.indexOf(`<section class="card" id="${id}">`);
  expect(start, id).toBeGreaterThan(-1);
  return page.slice(start, page.indexOf("</section>", start));
};
const decode = decodeHtml;
/** Markup removed, entities decoded: what a reader sees. */
const visible = (markup: string) =>
  markup
    .replace(/<[^>]+>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#96;/g, "`")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .replace(/\( /g, "(")
    .replace(/ ([),.])/g, "$1");

describe("tenancy portal: the site", () => {
  it("has the index and, per tenant, a page with its kubeconfig and setup script (none while offboarding)", () => {
    expect([...site.keys()].sort()).toEqual([
      "index.html",
      "tenants/alice/index.html",
      "tenants/alice/kubeconfig-alice.yaml",
      "tenants/alice/setup-alice.sh",
      "tenants/bob/index.html",
      "tenants/bob/kubeconfig-bob.yaml",
      "tenants/bob/setup-bob.sh",
      "tenants/carol/index.html",
      "tenants/carol/kubeconfig-carol.yaml",
      "tenants/carol/setup-carol.sh",
      "tenants/dave/index.html",
    ]);
  });

  it("says on every page which registry commit and environment it was generated from", () => {
    for (const [path, text] of site)
      if (path.endsWith(".html"))
        expect(visible(text), path).toContain(
          "Generated from registry commit 0123456789abcdef0123456789abcdef01234567, environment example.",
        );
    expect(file("tenants/alice/setup-alice.sh")).toContain(
      "# Generated from registry commit 0123456789abcdef0123456789abcdef01234567, environment example.",
    );
  });

  it("uses no script and loads nothing from elsewhere: plain HTML and inline CSS", () => {
    for (const [path, text] of site) {
      if (!path.endsWith(".html")) continue;
      expect(text, path).not.toMatch(/<script|<link|<iframe|src=|@import|url\(/i);
      expect(text.startsWith("<!doctype html>")).toBe(true);
    }
  });
});

describe("tenancy portal: a tenant's page", () => {
  it("shows its namespaces with the planned quota and limits", () => {
    const alice = file("tenants/alice/index.html");
    const namespaces = section(alice, "namespaces");
    expect([...namespaces.matchAll(/<div class="ns" id="ns-([^"]+)">/g)].map((m) => m[1])).toEqual([
      "alice",
      "alice-dev",
    ]);
    const dev = visible(namespaces.slice(namespaces.indexOf('id="ns-alice-dev"')));
    // alice-dev's own quota and limits (tenants/alice.yaml), the rest from the tier
    expect(dev).toContain("requests.cpu 2 ");
    expect(dev).toContain("limits.memory 8Gi ");
    expect(dev).toContain("pods 20 ");
    expect(dev).toContain("default request cpu 100m, ephemeral-storage 100Mi, memory 128Mi");
    expect(dev).toContain("default limit cpu 1, ephemeral-storage 1Gi, memory 512Mi");
    expect(dev).toContain("max cpu 2, memory 4Gi");
    expect(dev).toContain("pod security: restricted");
  });

  it("shows its domains and app instances with their URLs, disabled instances without a link", () => {
    const hosts = section(file("tenants/alice/index.html"), "hosts");
    expect(hosts).toContain('<a href="https://alice.example.com/">https://alice.example.com/</a>');
    expect(hosts).toContain('<a href="https://alice.jupyter.apps.example.com/">');
    expect(hosts).not.toContain('href="https://alice.code.apps.example.com/"');
    expect(visible(hosts)).toContain("alice.code.apps.example.com disabled");
    // bob's Actual Budget instance runs in the app's shared namespace
    expect(visible(section(file("tenants/bob/index.html"), "hosts"))).toContain(
      "https://bob.budget.apps.example.com/ app actual-budget actual-budget",
    );
  });

  it("lists the members it invites with their roles, and the namespaces it is invited into", () => {
    const members = visible(section(file("tenants/bob/index.html"), "members"));
    expect(members).toContain("alice developer bob-staging tenancy-namespace-developer");
    expect(members).toContain(
      "carol manager owner bob-prod tenancy-namespace-owner bob-staging tenancy-namespace-owner",
    );
    const alice = visible(section(file("tenants/alice/index.html"), "members"));
    expect(alice).toContain("bob viewer alice-dev tenancy-namespace-viewer");
    expect(alice).toContain(
      "Namespaces you are invited into namespace bound as bob-staging tenancy-namespace-developer",
    );
  });

  it("shows its Vault paths and the command lines to log in and read a secret", () => {
    const vault = visible(section(file("tenants/alice/index.html"), "vault"));
    expect(vault).toContain("secret/data/tenants/alice/* create read update patch delete");
    expect(vault).toContain("export VAULT_ADDR='https://vault.example.com:8200'");
    expect(vault).toContain("vault login -method=oidc");
    expect(vault).toContain("vault kv get -mount='secret' 'tenants/alice/example'");
    expect(vault).toContain(
      "vault write 'kubernetes/creds/alice-dev-deployer' kubernetes_namespace='alice-dev'",
    );
  });

  it("shows how CI obtains deployer credentials: the pipeline of its JWT role, or where there is none, how to get one", () => {
    const ci = section(file("tenants/bob/index.html"), "ci");
    expect(visible(ci)).toContain("repository_owner=bob-team");
    const code = ci.slice(ci.indexOf("<pre><code>") + "<pre><code>".length, ci.indexOf("</code></pre>"));
    const workflow = parse(decode(code)) as {
      jobs: {
        deploy: {
          env: Record<string, string>;
          permissions: Record<string, string>;
          steps: { run: string }[];
        };
      };
    };
    expect(workflow.jobs.deploy.permissions["id-token"]).toBe("write");
    expect(workflow.jobs.deploy.env).toEqual({
      VAULT_ADDR: "https://vault.example.com:8200",
      VAULT_AUTH_PATH: "auth/jwt/login",
      VAULT_ROLE: "ci-bob",
      AUDIENCE: "https://vault.example.com",
      KUBE_SERVER: "https://k8s.example.com:6443",
      DEPLOYER_PATH: "kubernetes/creds/bob-prod-deployer",
      DEPLOY_NAMESPACE: "bob-prod",
    });
    // the Vault login through its HTTP API (hosted runners have curl and jq, not a vault CLI)
    expect(workflow.jobs.deploy.steps.find((s) => s.run)!.run).toContain(
      '--arg role "$VAULT_ROLE" --arg jwt "$ID_TOKEN"',
    );
    expect(visible(section(file("tenants/alice/index.html"), "ci"))).toContain(
      "No CI identity: add ci.boundClaims",
    );
  });

  it("offers the kubeconfig `tenancy kubeconfig` prints and the setup script, with their contexts", () => {
    const connect = section(file("tenants/bob/index.html"), "connect");
    expect(connect).toContain('href="setup-bob.sh" download');
    expect(connect).toContain('href="kubeconfig-bob.yaml" download');
    expect(parse(file("tenants/bob/kubeconfig-bob.yaml"))).toEqual(tenantKubeconfig(model, "bob"));
    expect(visible(connect)).toContain("main-bob-prod main-bob-staging main-alice-dev");
  });

  it("of an offboarding tenant offers no kubeconfig", () => {
    const dave = visible(file("tenants/dave/index.html"));
    expect(dave).toContain("This tenant is being offboarded");
    expect(dave).not.toContain("Download setup script");
  });
});

describe("tenancy portal: each tenant's files hold that tenant's data only", () => {
  it.each(["alice", "bob", "carol", "dave"])(
    "%s: no other tenant's id, namespace, email, host or Vault path",
    (id) => {
      const files = [...site].filter(([path]) => path.startsWith(`tenants/${id}/`));
      expect(files.length).toBeGreaterThan(0);
      for (const [path, text] of files) expect(foreignData(text, id, model, rows), path).toEqual([]);
    },
  );

  it("the check finds another tenant's data, and allows invited members and the namespaces one is invited into", () => {
    const alice = file("tenants/alice/index.html");
    // the platform's index holds everyone's data
    expect(foreignData(file("index.html"), "alice", model, rows)).toEqual(
      expect.arrayContaining([
        "bob: bob@example.com",
        "bob: bob-prod",
        "carol: carol",
        "bob: shop.example.org",
        "bob: secret/data/tenants/bob/*",
      ]),
    );
    expect(foreignData(`${alice}<td>bob.budget.apps.example.com</td>`, "alice", model, rows)).toEqual([
      "bob: bob.budget.apps.example.com",
    ]);
    // alice is invited into bob-staging, not bob-prod; she invites bob, not carol
    expect(foreignData(`${alice}<td>bob-prod</td>`, "alice", model, rows)).toEqual(["bob: bob-prod"]);
    expect(foreignData(`${alice}<td>bob-staging</td><td>bob</td>`, "alice", model, rows)).toEqual([]);
    expect(foreignData(`${alice}<td>carol</td>`, "alice", model, rows)).toEqual(["carol: carol"]);
    // bob invites alice, so "alice" may be on his page as a member, never as alice's namespace of that name
    const bob = file("tenants/bob/index.html");
    expect(foreignData(bob, "bob", model, rows)).toEqual([]);
    expect(foreignData(`${bob} namespace:alice`, "bob", model, rows)).toEqual(["alice: alice"]);
    expect(foreignData(`${alice} kubernetes/creds/bob-staging-deployer`, "alice", model, rows)).toEqual([
      "bob: kubernetes/creds/bob-staging-deployer",
    ]);
  });
});

describe("tenancy portal: the platform index", () => {
  it("lists every tenant with a link to its page, and the tiers", () => {
    const index = file("index.html");
    const tenants = section(index, "tenants");
    expect(
      [...tenants.matchAll(/<a href="([^"]+)">\s*([^<\s]+)\s*<\/a\s*>/g)].map((m) => [m[1], m[2]]),
    ).toEqual(["alice", "bob", "carol", "dave"].map((id) => [`tenants/${id}/index.html`, id]));
    expect(visible(section(index, "tiers"))).toContain(
      "team Teams running services, with load balancers 1 -",
    );
  });

  it("draws tenants -> namespaces -> who reaches them as an SVG", () => {
    const graph = section(file("index.html"), "graph");
    expect(graph).toContain('<svg class="graph"');
    const titles = [...graph.matchAll(/<path class="edge ([a-z]+)"[^>]*><title>([^<]+)<\/title>/g)].map(
      (m) => `${m[1]}: ${m[2]}`,
    );
    expect(titles).toEqual(
      expect.arrayContaining([
        "owns: alice owns alice-dev",
        "viewer: user:bob@example.com reaches alice-dev as tenancy-namespace-viewer",
        "developer: user:alice@example.com reaches bob-staging as tenancy-namespace-developer",
        "deployer: vault-jwt:jwt/ci-bob reaches bob-prod as bob-prod-deployer",
      ]),
    );
    expect(visible(graph)).toContain("user:carol@example.com as cluster-admin");
  });

  it("has the whole access matrix, each row tagged with the tenants it reaches and its system for the filters", () => {
    const matrix = section(file("index.html"), "matrix");
    const tagged = [...matrix.matchAll(/<tr\s+data-t="([^"]*)"\s+data-s="(s\d)"\s*>([\s\S]*?)<\/tr>/g)].map(
      (m) => ({
        tenants: m[1]!,
        system: m[2]!,
        text: visible(m[3]!).trim(),
      }),
    );
    // every access row is in one folded row
    expect(tagged.length).toBeGreaterThan(20);
    expect(tagged.length).toBeLessThan(rows.length);
    expect(matrix.match(/<input class="filter" type="radio" name="ft"/g)).toHaveLength(5);
    expect(matrix.match(/<input class="filter" type="radio" name="fs"/g)).toHaveLength(4);
    // the CSS hides what the checked filter excludes
    expect(file("index.html")).toContain(
      '#ft0:checked ~ table.matrix tbody tr:not([data-t~="t0"]) { display: none; }',
    );
    // bob's binding in alice-dev reaches alice (t0); carol's cluster-admin reaches everyone
    const row = (start: string) => tagged.find((t) => t.text.startsWith(start));
    expect(row("user:bob@example.com bob kubernetes namespace:alice-dev")).toMatchObject({
      tenants: "t0 t1",
      system: "s1",
    });
    expect(row("user:carol@example.com carol kubernetes cluster")?.tenants).toBe("t0 t1 t2 t3");
    expect(row("user:alice@example.com alice dns zone:example.com")).toMatchObject({
      tenants: "t0",
      system: "s0",
    });
  });
});

describe("tenancy portal: shared CI mode", () => {
  it("tells a tenant its deployer credentials come from the platform's CI identity, for its own namespaces only", async () => {
    const shared = exampleWithSharedCi();
    const plan = await buildPlan(shared, LAYERS);
    const sharedRows = accessMatrix(shared, plan);
    const alice = buildSite(shared, plan, sharedRows, PROVENANCE).get("tenants/alice/index.html")!;
    const ci = visible(section(alice, "ci"));
    expect(ci).toContain(
      "The platform's shared CI identity (vault-k8s-auth:kubernetes/woodpecker-deployer) obtains deployer credentials for alice alice-dev",
    );
    expect(ci).toContain("export DEPLOYER_PATH='kubernetes/creds/alice-deployer' DEPLOY_NAMESPACE='alice'");
    expect(foreignData(alice, "alice", shared, sharedRows)).toEqual([]);
  }, 120_000);
});
