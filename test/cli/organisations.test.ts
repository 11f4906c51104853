/**
 * The organisation tree in the CLI (docs/organisations.md): `access --tree` (text and JSON) and `can-i` name a
 * namespace's organisation; with organisations.parentView the parent's view shows as planned.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyExample, runCli } from "../helpers/cli";

let dir: string;
const cli = (...args: string[]) => runCli(args, { cwd: dir });
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tenancy-organisations-"));
  copyExample(dir);
  const env = join(dir, "environments/example.yaml");
  writeFileSync(env, `${readFileSync(env, "utf8")}organisations:\n  parentView: true\n`);
  writeFileSync(join(dir, "tenants/acme.yaml"), "email: acme@example.com\ntier: team\n");
  writeFileSync(join(dir, "tenants/acme-web.yaml"), "email: web@example.com\ntier: team\nparent: acme\n");
  writeFileSync(join(dir, "tenants/acme-api.yaml"), "email: api@example.com\ntier: team\nparent: acme-web\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the organisation tree", () => {
  it("access --tree --tenant: the tenant's organisation, each under its parent, with who else reaches it", () => {
    const r = cli("access", "--tree", "--tenant", "acme-api");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "acme  namespaces: acme",
        "└─ acme-web  namespaces: acme-web",
        "      reached by user:acme@example.com (acme) in acme-web",
        "   └─ acme-api  namespaces: acme-api",
        "         reached by user:acme@example.com (acme) in acme-api",
        "         reached by user:web@example.com (acme-web) in acme-api",
        "",
      ].join("\n"),
    );
    const json = JSON.parse(cli("access", "--tree", "--json", "--tenant", "acme").stdout) as {
      tenant: string;
      parent?: string;
      depth: number;
      children: string[];
      reachedBy: { principal: string; via: string[] }[];
    }[];
    expect(json.map((n) => [n.tenant, n.parent, n.depth, n.children])).toEqual([
      ["acme", undefined, 1, ["acme-web"]],
      ["acme-web", "acme", 2, ["acme-api"]],
      ["acme-api", "acme-web", 3, []],
    ]);
    expect(json[1]!.reachedBy[0]!.via).toEqual([
      "RoleBinding acme-web/tenant-member-acme -> ClusterRole tenancy-namespace-viewer",
    ]);
    expect(cli("access", "--tree", "--cluster", "main").code).toBe(2);
  });

  it("can-i names the namespace's organisation, and the parent's view is read-only", () => {
    const view = cli("can-i", "acme", "get", "pods", "--namespace", "acme-api");
    expect(view.code).toBe(0);
    expect(view.stdout).toContain(
      "  namespace acme-api belongs to acme-api, in organisation acme > acme-web > acme-api (organisations.parentView: its ancestors and their full-scope members view it)\n",
    );
    expect(cli("can-i", "acme", "create", "pods", "--namespace", "acme-api").code).toBe(1);
    // upwards: nothing
    expect(cli("can-i", "acme-api", "get", "pods", "--namespace", "acme").code).toBe(1);
    const json = JSON.parse(
      cli("can-i", "acme", "get", "pods", "--namespace", "acme-web", "--json").stdout,
    ) as {
      allowed: boolean;
      organisation: string[];
    };
    expect(json).toMatchObject({ allowed: true, organisation: ["acme", "acme-web"] });
  });
});

/**
 * A git repository of the example registry with `base` committed and `head` written over it (files by path), for
 * `diff --base HEAD` and approve-check; `check(login)` runs approve-check with that one approval of the head commit.
 */
function approvalRepo(name: string, base: Record<string, string>, head: Record<string, string>) {
  const HEAD_SHA = "0123456789abcdef0123456789abcdef01234567";
  let repo = "";
  const write = (files: Record<string, string>) => {
    for (const [file, text] of Object.entries(files)) writeFileSync(join(repo, file), text);
  };
  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), `tenancy-organisations-${name}-`));
    copyExample(repo);
    write(base);
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: repo });
    git("init", "-q");
    git("add", ".");
    git("commit", "-q", "-m", "base");
    write(head);
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));
  const run = (...args: string[]) => runCli(args, { cwd: repo });
  const check = (login: string) => {
    write({
      "reviews.json": JSON.stringify([{ user: { login }, state: "APPROVED", commit_id: HEAD_SHA }]),
      "members.json": "[]",
    });
    return run(
      "approve-check",
      "--base",
      "HEAD",
      "--approvals",
      "reviews.json",
      "--admin-members",
      "members.json",
      "--head",
      HEAD_SHA,
    );
  };
  return { run, check };
}

describe("approve-check: a child's raise", () => {
  const { check } = approvalRepo(
    "approve",
    {
      "tenants/acme.yaml":
        "email: acme@example.com\ntier: team\ngit: [acme-owner]\nclusterSelector:\n  matchLabels: { region: eu-west }\n",
      "tenants/acme-web.yaml": "email: web@example.com\ntier: team\nparent: acme\ngit: [web-gh]\n",
    },
    // the child placed on the gpu cluster too: within its parent's clusters, a raise
    {
      "tenants/acme-web.yaml":
        "email: web@example.com\ntier: team\nparent: acme\ngit: [web-gh]\nclusterSelector:\n  matchLabels: { region: eu-west }\n",
    },
  );

  it("its own reviewer's approval is not enough; its parent's is", () => {
    const own = check("web-gh");
    expect(own.code).toBe(6);
    expect(own.stderr).toContain(
      "  no approval for tenant acme-web by an admin or a reviewer of its organisation (its ancestors' own reviewers; docs/organisations.md)",
    );
    const parent = check("acme-owner");
    expect(parent.stderr).toBe("");
    expect(parent.code).toBe(0);
    expect(parent.stdout).toMatch(/approved by acme-owner/);
  });
});

describe("diff and approve-check: a tenant attaching itself to an organisation", () => {
  const { run, check } = approvalRepo(
    "attach",
    {
      "tenants/acme.yaml": "email: acme@example.com\ntier: team\ngit: [acme-owner]\n",
      "tenants/xco.yaml": "email: x@example.com\ntier: team\ngit: [x-gh]\n",
    },
    // xco names acme its parent: nothing else changes
    { "tenants/xco.yaml": "email: x@example.com\ntier: team\ngit: [x-gh]\nparent: acme\n" },
  );

  it("diff shows the raise and exits 6; x's own reviewer cannot approve it, acme's can", () => {
    const diff = run("diff", "--base", "HEAD");
    expect(diff.code).toBe(6);
    expect(diff.stdout).toContain("parent (none) -> acme: joins organisation acme");
    const own = check("x-gh");
    expect(own.code).toBe(6);
    expect(own.stderr).toContain(
      "  no approval for tenant xco joining organisation acme by an admin or one of acme's own reviewers as the target branch names them (docs/organisations.md)",
    );
    const parent = check("acme-owner");
    expect(parent.stderr).toBe("");
    expect(parent.code).toBe(0);
    expect(parent.stdout).toMatch(/approved by acme-owner/);
  });
});
