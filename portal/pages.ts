/**
 * The portal's pages, rendered from the views of portal/data.ts with `html` (every value escaped). A tenant
 * page renders a `TenantView` and its downloads only; the index renders the `PlatformView`.
 */
import { ciSnippet, ciSystem } from "./ci-snippet";
import type { GrantView, NamespaceView, PlatformView, TenantView } from "./data";
import { edgeKind, graphSvg } from "./graph";
import { type Html, html, raw } from "./html";
import { type Provenance, describeProvenance } from "./provenance";
import { shellQuote } from "./shell";
import { STYLE } from "./style";

/** A table's header row. */
function thead(...columns: string[]): Html {
  return html`<thead>
    <tr>
      ${columns.map((c) => html`<th>${c}</th>`)}
    </tr>
  </thead>`;
}

function page(
  title: string,
  header: Html,
  nav: [string, string][],
  body: Html,
  provenance: Provenance,
  extraStyle = "",
): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="generator" content="tenancy portal" />
        <title>${title}</title>
        <style>
          ${raw(STYLE + extraStyle)}
        </style>
      </head>
      <body>
        <header class="top">${header}</header>
        <nav class="sections">${nav.map(([id, label]) => html`<a href="#${id}">${label}</a>`)}</nav>
        <main>${body}</main>
        <footer>
          <p class="provenance">
            ${describeProvenance(provenance)} Nothing on this page is secret: credentials come from your own
            OIDC login.
          </p>
        </footer>
      </body>
    </html> `.text;
}

const pill = (text: string, cls = "") => html`<span class="pill ${cls}">${text}</span>`;

/** `CPU 1 / 2` style rows for the quota's keys, in the order Kubernetes users read them. */
function quotaList(quota: Record<string, string>): Html {
  const keys = Object.keys(quota).sort();
  if (keys.length === 0) return html`<p class="muted">no quota</p>`;
  return html`<dl class="kv">
    ${keys.map(
      (k) =>
        html`<dt>${k}</dt>
          <dd>${quota[k]}</dd>`,
    )}
  </dl>`;
}

function limitsList(limits: NamespaceView["limits"]): Html {
  const rows: [string, Record<string, string> | undefined][] = [
    ["default request", limits.defaultRequest],
    ["default limit", limits.default],
    ["max", limits.max],
  ];
  const shown = rows.filter(([, v]) => v && Object.keys(v).length > 0);
  if (shown.length === 0) return html`<p class="muted">no container limits</p>`;
  return html`<dl class="kv">
    ${shown.map(
      ([label, v]) =>
        html`<dt>${label}</dt>
          <dd>
            ${Object.entries(v!)
              .map(([k, q]) => `${k} ${q}`)
              .join(", ")}
          </dd>`,
    )}
  </dl>`;
}

function namespaceCard(ns: NamespaceView): Html {
  return html`<div class="ns" id="ns-${ns.name}">
    <h3>
      ${ns.name} ${ns.offboarding ? pill("offboarding", "warn") : ""}
      ${ns.podSecurity ? pill(`pod security: ${ns.podSecurity}`, "ok") : ""}
      ${ns.clusters.length > 0 ? pill(`on ${ns.clusters.join(", ")}`, "ok") : ""}
    </h3>
    <h4 class="muted">Quota (hard limits)</h4>
    ${quotaList(ns.quota)}
    <h4 class="muted">Container limits</h4>
    ${limitsList(ns.limits)}
  </div>`;
}

function grantsTable(grants: GrantView[]): Html {
  if (grants.length === 0) return html`<p class="muted">No grants.</p>`;
  return html`<table>
    ${thead("principal", "system", "scope", "through", "what")}
    <tbody>
      ${grants.map(
        (g) =>
          html`<tr>
            <td><code>${g.principal}</code></td>
            ${grantCells(g)}
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** A grant's system, scope, binding and what it allows: the cells every grant table shares. */
function grantCells(g: GrantView): Html {
  return html`<td>${g.system}</td>
    <td>${g.scope}</td>
    <td>${g.via}</td>
    <td>${resourcesCell(g)}</td>`;
}

function resourcesCell(g: GrantView): Html {
  const items = g.resources.map((r) => `${r.resource}: ${r.verbs.join(", ")}`);
  if (items.length === 1) return html`${items[0]}`;
  return html`<details>
    <summary>${items.length} resources</summary>
    <ul>
      ${items.map((i) => html`<li>${i}</li>`)}
    </ul>
  </details>`;
}

export interface TenantFiles {
  /** File names beside the page (downloads); absent while the tenant is offboarding. */
  kubeconfig?: { file: string; text: string; contexts: string[] };
  setupScript?: { file: string };
}

export function tenantPage(view: TenantView, files: TenantFiles, provenance: Provenance): string {
  const name = view.displayName ?? view.id;
  const header = html`<h1>${name}</h1>
    <div class="sub">
      tenant <b>${view.id}</b> · ${view.email} · role <b>${view.role}</b> · tier
      <b>${view.tier}</b>${view.tierDescription ? html` (${view.tierDescription})` : ""} · environment
      <b>${provenance.environment}</b>
    </div>`;
  const scheme = (h: TenantView["hosts"][number]) => (h.enabled ? h.url : undefined);
  const vault = view.vault;
  const vaultLines = vault
    ? [
        `export VAULT_ADDR=${shellQuote(vault.address)}`,
        ...(vault.namespace ? [`export VAULT_NAMESPACE=${shellQuote(vault.namespace)}`] : []),
        "vault login -method=oidc   # opens your browser; add -path=<mount> if OIDC is mounted elsewhere",
        ...vault.kvBases.flatMap((base) => [
          `vault kv put -mount=${shellQuote(vault.kvMount)} ${shellQuote(`${base}/example`)} greeting=hello`,
          `vault kv get -mount=${shellQuote(vault.kvMount)} ${shellQuote(`${base}/example`)}`,
          `vault kv list -mount=${shellQuote(vault.kvMount)} ${shellQuote(base)}`,
        ]),
        ...vault.deployers.map(
          (d) =>
            `vault write ${shellQuote(d.path)} kubernetes_namespace=${shellQuote(d.namespaces[0] ?? "")}   # a deployer token for ${d.namespaces[0] ?? ""}, ${d.ttlSeconds}s`,
        ),
      ].join("\n")
    : "";
  const body = html`
    ${view.offboarding ? html`<div class="banner">This tenant is being offboarded: its access is revoked and its namespaces are no longer protected. No kubeconfig is offered.</div>` : ""}
    <section class="card" id="connect">
      <h2>Connect</h2>
      ${
        files.kubeconfig && files.setupScript
          ? html`<p class="note">
                The setup script installs <code>kubectl</code> and the OIDC login plugin (kubelogin) if they
                are missing, then writes your kubeconfig; it never overwrites an existing
                <code>~/.kube/config</code>. Neither file holds a secret: kubectl opens your browser to log
                in.
              </p>
              <a class="button" href="${files.setupScript.file}" download>Download setup script</a
              ><a class="button secondary" href="${files.kubeconfig.file}" download>Download kubeconfig</a>
              <pre><code>sh ${files.setupScript.file}
kubectl --context ${shellQuote(files.kubeconfig.contexts[0] ?? "")} get pods</code></pre>
              <h3>Contexts</h3>
              <p>${files.kubeconfig.contexts.map((c) => pill(c))}</p>
              <details>
                <summary>kubeconfig</summary>
                <pre><code>${files.kubeconfig.text}</code></pre>
              </details>`
          : html`<p class="muted">No access: nothing to connect to.</p>`
      }
    </section>
    <section class="card" id="namespaces">
      <h2>Namespaces</h2>
      <p class="note">
        What each namespace may use: the ResourceQuota and the LimitRange tenancy applies (current usage:
        <code>kubectl describe quota</code>).
      </p>
      <div class="grid">${view.namespaces.map(namespaceCard)}</div>
      ${view.namespaces.length === 0 ? html`<p class="muted">No namespaces of its own.</p>` : ""}
    </section>
    <section class="card" id="hosts">
      <h2>Domains and apps</h2>
      ${
        view.hosts.length === 0
          ? html`<p class="muted">No domains and no app instances.</p>`
          : html`<table>
              ${thead("host", "what", "namespace", "DNS")}
              <tbody>
                ${view.hosts.map(
                  (h) =>
                    html`<tr>
                      <td>
                        ${scheme(h) ? html`<a href="${h.url}">${h.url}</a>` : html`${h.host} ${pill("disabled", "off")}`}
                      </td>
                      <td>${h.kind === "app" ? html`app ${pill(h.app ?? "")}` : "domain"}</td>
                      <td>${h.namespace}</td>
                      <td>${h.dns ? pill("record", "ok") : pill("none", "off")}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
    </section>
    <section class="card" id="members">
      <h2>Members</h2>
      <h3>Invited into your namespaces</h3>
      ${
        view.members.length === 0
          ? html`<p class="muted">Nobody else.</p>`
          : html`<table>
              ${thead("tenant", "role", "bound as")}
              <tbody>
                ${view.members.map(
                  (m) =>
                    html`<tr>
                      <td>${m.tenant}${m.manager ? html` ${pill("manager")}` : ""}</td>
                      <td>${m.role}</td>
                      <td>
                        ${m.grants.length ? m.grants.map((g) => html`${pill(g.namespace)} ${g.role}<br />`) : html`<span class="muted">no binding (offboarding)</span>`}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      <h3>Namespaces you are invited into</h3>
      ${
        view.invited.length === 0
          ? html`<p class="muted">None.</p>`
          : html`<table>
              ${thead("namespace", "bound as")}
              <tbody>
                ${view.invited.map(
                  (i) =>
                    html`<tr>
                      <td>${i.namespace}</td>
                      <td>${i.role}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
    </section>
    ${
      view.organisation
        ? html`<section class="card" id="organisation">
            <h2>Organisation</h2>
            <p>${view.organisation.path.map((id, i) => html`${i > 0 ? " › " : ""}${pill(id)}`)}</p>
            <h3>Children</h3>
            ${
              view.organisation.children.length === 0
                ? html`<p class="muted">None.</p>`
                : html`<p>${view.organisation.children.map((c) => html`${pill(c)} `)}</p>`
            }
            <h3>Viewing your namespaces from your organisation</h3>
            ${
              view.organisation.viewers.length === 0
                ? html`<p class="muted">Nobody (organisations.parentView is off, or you have no parent).</p>`
                : html`<table>
                    ${thead("tenant", "namespaces")}
                    <tbody>
                      ${view.organisation.viewers.map(
                        (v) =>
                          html`<tr>
                            <td>${v.tenant}</td>
                            <td>${v.namespaces.map((n) => html`${pill(n)} `)}</td>
                          </tr>`,
                      )}
                    </tbody>
                  </table>`
            }
          </section>`
        : ""
    }
    <section class="card" id="access">
      <h2>Your access</h2>
      <p class="note">
        Every grant of your principals, from the access matrix (<code
          >tenancy access --tenant ${view.id}</code
        >
        shows these and who else reaches you).
      </p>
      ${grantsTable(view.grants)}
    </section>
    <section class="card" id="vault">
      <h2>Vault</h2>
      ${
        vault
          ? html`<p class="note">Your OIDC login reaches these paths (policy from the plan):</p>
              <table>
                ${thead("path", "capabilities")}
                <tbody>
                  ${vault.paths.map(
                    (p) =>
                      html`<tr>
                        <td><code>${p.path}</code></td>
                        <td>${p.capabilities.map((c) => pill(c))}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
              <h3>From the command line</h3>
              <pre><code>${vaultLines}</code></pre>`
          : html`<p class="muted">No Vault access.</p>`
      }
    </section>
    <section class="card" id="ci">
      <h2>CI</h2>
      ${
        view.ci
          ? html`<p class="note">
                ${
                  view.ci.kind === "per-tenant"
                    ? html`Pipelines log in to Vault with their CI provider's ID token: the JWT role
                        <code>${view.ci.role}</code> on <code>${view.ci.authMount}</code> accepts tokens whose
                        claims are
                        ${Object.entries(view.ci.boundClaims).map(
                          ([k, v]) => html`<code>${k}=${v}</code> `,
                        )}and
                        issues a token (${view.ci.ttlSeconds}s) that can mint deployer credentials for
                        ${view.ci.deployers.flatMap((d) => d.namespaces).map((n) => pill(n))}.`
                    : html`The platform's shared CI identity (<code>${view.ci.principal}</code>) obtains
                      deployer credentials for
                      ${view.ci.deployers.flatMap((d) => d.namespaces).map((n) => pill(n))}.`
                }
              </p>
              <h3>
                ${{ github: "GitHub Actions", gitlab: "GitLab CI", shared: "Shared CI" }[ciSystem(view.ci)]}
              </h3>
              <pre><code>${ciSnippet(view.ci, vault?.address ?? "", view.cluster.server ?? "")}</code></pre>`
          : html`<p class="muted">
              No CI identity: add <code>ci.boundClaims</code> (your repository or owner, by id) to the tenant
              record to give pipelines deployer credentials.
            </p>`
      }
    </section>
  `;
  return page(
    `${name} · tenancy`,
    header,
    [
      ["connect", "Connect"],
      ["namespaces", "Namespaces"],
      ["hosts", "Domains and apps"],
      ["members", "Members"],
      ...(view.organisation ? ([["organisation", "Organisation"]] as [string, string][]) : []),
      ["access", "Access"],
      ["vault", "Vault"],
      ["ci", "CI"],
    ],
    body,
    provenance,
  );
}

/** Per tenant and per system a radio button; CSS hides the rows the checked ones exclude (no script). */
function matrixFilterStyle(view: PlatformView): string {
  return [
    ...view.tenants.map(
      (_, i) =>
        `#ft${i}:checked ~ table.matrix tbody tr:not([data-t~="t${i}"]) { display: none; } #ft${i}:checked ~ .filters label[for="ft${i}"]`,
    ),
    ...view.systems.map(
      (_, i) =>
        `#fs${i}:checked ~ table.matrix tbody tr:not([data-s="s${i}"]) { display: none; } #fs${i}:checked ~ .filters label[for="fs${i}"]`,
    ),
    '#ft-all:checked ~ .filters label[for="ft-all"], #fs-all:checked ~ .filters label[for="fs-all"]',
  ]
    .map((rule) =>
      rule.endsWith("]") ? `${rule} { background: #2357c6; color: #fff; border-color: #2357c6; }` : rule,
    )
    .join("\n");
}

export function indexPage(
  view: PlatformView,
  provenance: Provenance,
  tenantHref: (id: string) => string,
): string {
  const header = html`<h1>Platform ${view.environment}</h1>
    <div class="sub">
      ${view.tenants.length} tenants · ${view.graph.namespaces.length} namespaces · who can do what, generated
      from the plan
    </div>`;
  const principals = new Set(view.matrix.map((m) => m.principal));
  const systemIndex = new Map(view.systems.map((s, i) => [s, i]));
  const tenantIndex = new Map(view.tenants.map((t, i) => [t.id, i]));
  const body = html`
    <div class="stats">
      <div class="stat"><b>${view.tenants.length}</b><span>tenants</span></div>
      <div class="stat"><b>${view.graph.namespaces.length}</b><span>namespaces</span></div>
      <div class="stat">
        <b>${view.tenants.reduce((n, t) => n + t.hosts, 0)}</b><span>domains and apps</span>
      </div>
      <div class="stat"><b>${principals.size}</b><span>principals</span></div>
    </div>
    <section class="card" id="tenants">
      <h2>Tenants</h2>
      <table>
        ${thead("tenant", "name", "role", "tier", "namespaces", "hosts", "members")}
        <tbody>
          ${view.tenants.map(
            (t) =>
              html`<tr>
                <td>
                  <a href="${tenantHref(t.id)}">${t.id}</a
                  >${t.offboarding ? html` ${pill("offboarding", "warn")}` : ""}
                </td>
                <td>${t.displayName ?? ""}</td>
                <td>${t.role}</td>
                <td>${t.tier}</td>
                <td>${t.namespaces.map((n) => pill(n))}</td>
                <td>${t.hosts}</td>
                <td>${t.members}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </section>
    <section class="card" id="tiers">
      <h2>Tiers</h2>
      <table>
        ${thead("tier", "description", "tenants", "max namespaces", "default quota")}
        <tbody>
          ${view.tiers.map(
            (t) =>
              html`<tr>
                <td><b>${t.name}</b></td>
                <td>${t.description ?? ""}</td>
                <td>${t.tenants}</td>
                <td>${t.maxNamespaces ?? "-"}</td>
                <td>
                  ${[
                    "requests.cpu",
                    "limits.cpu",
                    "requests.memory",
                    "limits.memory",
                    "pods",
                    "services.loadbalancers",
                  ]
                    .filter((k) => t.quota[k] !== undefined)
                    .map((k) => pill(`${k} ${t.quota[k]}`))}
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    </section>
    <section class="card" id="graph">
      <h2>Tenants, namespaces and who can reach them</h2>
      <p class="legend">
        ${(["owner", "developer", "viewer", "deployer", "other"] as const).map(
          (k) => html`<span><i style="background: var(--${k})"></i>${k}</span>`,
        )}
      </p>
      <div class="graph-wrap">${graphSvg(view.graph)}</div>
      ${
        view.graph.clusterWide.length
          ? html`<h3>Reaching every namespace from cluster scope</h3>
              <p>
                ${view.graph.clusterWide.map(
                  (c) =>
                    html`<code>${c.principal}</code> as
                      ${pill(c.role, edgeKind(c.role) === "owner" ? "warn" : "")} `,
                )}
              </p>`
          : ""
      }
    </section>
    <section class="card" id="matrix">
      <h2>Access matrix</h2>
      <p class="note">
        Every grant, computed from the planned resources (<code>tenancy access</code>); a tenant filter keeps
        what <code>--tenant</code> keeps: its principals and whatever reaches it.
      </p>
      <input class="filter" type="radio" name="ft" id="ft-all" checked />${view.tenants.map(
        (_, i) => html`<input class="filter" type="radio" name="ft" id="ft${i}" />`,
      )}<input class="filter" type="radio" name="fs" id="fs-all" checked />${view.systems.map(
        (_, i) => html`<input class="filter" type="radio" name="fs" id="fs${i}" />`,
      )}
      <div class="filters">
        <span class="label">tenant</span><label for="ft-all">all</label>${view.tenants.map(
          (t, i) => html`<label for="ft${i}">${t.id}</label>`,
        )}
      </div>
      <div class="filters">
        <span class="label">system</span><label for="fs-all">all</label>${view.systems.map(
          (s, i) => html`<label for="fs${i}">${s}</label>`,
        )}
      </div>
      <table class="matrix">
        ${thead("principal", "tenant", "system", "scope", "through", "what")}
        <tbody>
          ${view.matrix.map(
            (m) =>
              html`<tr
                data-t="${m.reaches.map((id) => `t${tenantIndex.get(id)}`).join(" ")}"
                data-s="s${systemIndex.get(m.system)}"
              >
                <td class="principal">${m.principal}</td>
                <td>${m.tenant ?? html`<span class="muted">(shared)</span>`}</td>
                ${grantCells(m)}
              </tr>`,
          )}
        </tbody>
      </table>
    </section>
  `;
  return page(
    `Platform ${view.environment} · tenancy`,
    header,
    [
      ["tenants", "Tenants"],
      ["tiers", "Tiers"],
      ["graph", "Graph"],
      ["matrix", "Access matrix"],
    ],
    body,
    provenance,
    matrixFilterStyle(view),
  );
}
