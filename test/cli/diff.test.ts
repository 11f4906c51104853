/**
 * `tenancy diff --base <ref>`: a throwaway git repository holding the example registry and environment,
 * changed in the working tree as a pull request would change it; the CLI compares it with the committed
 * registry (read from git's objects, the working tree untouched). Pins the text and JSON output for adding,
 * changing, offboarding and removing a tenant, an environment change touching every tenant, the access delta of
 * a member invitation, and exit 3 where the guard would refuse (a vanished tenant, a namespace owner change).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PlanDiff } from "../../plan/diff";
import { copyExample, runCli } from "../helpers/cli";

let repo: string;
const git = (...args: string[]) => {
  const r = spawnSync("git", ["-C", repo, "-c", "user.email=t@example.com", "-c", "user.name=t", ...args], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(r.stderr);
};
const write = (file: string, text: string) => writeFileSync(join(repo, file), text);
const read = (file: string) => readFileSync(join(repo, file), "utf8");
const diff = (...extra: string[]) => runCli(["diff", "--base", "HEAD", ...extra], { cwd: repo });
/** The two registry changes several cases make: alice's quota, and carol inviting alice as a viewer. */
// a lowering (within its limits.cpu of 2): no privilege raised
const raiseAliceCpu = () =>
  write(
    "tenants/alice.yaml",
    read("tenants/alice.yaml").replace('requests.cpu: "2"', 'requests.cpu: "1500m"'),
  );
const inviteAliceIntoCarol = () =>
  write(
    "tenants/carol.yaml",
    `${read("tenants/carol.yaml")}namespaces: [carol]\nmembers:\n  - tenant: alice\n    role: viewer\n`,
  );
const json = () => {
  const r = diff("--json");
  return { code: r.code, body: JSON.parse(r.stdout) as PlanDiff & { refused?: string } };
};

beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), "tenancy-diff-"));
  copyExample(repo);
  git("init", "-q");
  git("add", ".");
  git("commit", "-q", "-m", "base");
});
afterEach(() => rmSync(repo, { recursive: true, force: true }));

describe("tenancy diff", () => {
  it("no change: nothing to say", () => {
    const r = diff();
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "diff HEAD -> working tree (environment example)\n\nsummary: tenants +0 ~0 offboarding 0 -0; resources +0 ~0 -0; access +0 -0\nplanned: 0 of 4 tenants, those the change can touch (--full plans all)\n",
    );
  });

  it("changing a tenant: the changed input, old and new", () => {
    raiseAliceCpu();
    const r = diff();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "diff HEAD -> working tree (environment example)",
        "",
        "tenant alice: changed",
        // named as plan names them, with the cluster: alice-dev is on the eu-gpu cluster too
        "  ~ platform: ResourceQuota alice-dev/tenant-quota @main",
        '      spec.hard.requests.cpu: "2" -> "1500m"',
        "  ~ platform: ResourceQuota alice-dev/tenant-quota @eu-gpu",
        '      spec.hard.requests.cpu: "2" -> "1500m"',
        "",
        "summary: tenants +0 ~1 offboarding 0 -0; resources +0 ~2 -0; access +0 -0",
        "planned: 1 of 4 tenants, those the change can touch (--full plans all)",
        "",
      ].join("\n"),
    );
  });

  it("adding a tenant: its resources and its access, every one new", () => {
    write("tenants/erin.yaml", "email: erin@example.com\n");
    const { code, body } = json();
    expect(code).toBe(0);
    expect(body.tenants).toEqual([{ id: "erin", status: "added" }]);
    expect(body.resources.every((r) => r.op === "add" && r.tenant === "erin")).toBe(true);
    expect(body.resources.map((r) => `${r.layer} ${r.type.split(":").at(-1)} ${r.name}`)).toContain(
      "platform Namespace erin-namespace",
    );
    expect(body.access.lost).toEqual([]);
    expect(new Set(body.access.gained.map((r) => r.principal))).toEqual(new Set(["user:erin@example.com"]));
    expect(body.access.crossTenant).toEqual([]);
  });

  it("offboarding a tenant: access goes, protection goes; then removing it is refused unless offboarded first", () => {
    write("tenants/alice.yaml", `${read("tenants/alice.yaml")}offboarding: true\n`);
    const { code, body } = json();
    expect(code).toBe(0);
    expect(body.tenants).toContainEqual({ id: "alice", status: "offboarding" });
    expect(body.resources).toContainEqual(
      expect.objectContaining({
        layer: "platform",
        name: "alice-namespace",
        op: "change",
        changes: [{ path: "(protect)", old: true, new: false }],
      }),
    );
    expect(body.access.gained).toEqual([]);
    expect(body.access.lost.some((r) => r.principal === "user:alice@example.com")).toBe(true);
    // removing alice outright (not offboarded in the base): the guard refuses, exit 3, and the diff is still printed
    rmSync(join(repo, "tenants", "alice.yaml"));
    write(
      "tenants/bob.yaml",
      read("tenants/bob.yaml").replace(
        "  - tenant: alice\n    role: developer\n    namespaces: [bob-staging]\n",
        "",
      ),
    );
    const removed = diff();
    expect(removed.code).toBe(3);
    expect(removed.stdout).toMatch(/^tenant alice: removed$/m);
    expect(removed.stderr).toMatch(/alice/);
  });

  it("a namespace passing to another tenant: exit 3", () => {
    write(
      "tenants/alice.yaml",
      "email: alice@example.com\nnamespaces: [alice]\ndomains: [alice.example.com]\n",
    );
    write("tenants/carol.yaml", `${read("tenants/carol.yaml")}namespaces: [carol, alice-dev]\n`);
    const r = json();
    expect(r.code).toBe(3);
    expect(r.body.refused).toMatch(/namespaces would pass to another tenant.*alice-dev \(alice -> carol\)/);
  });

  it("a member invitation: the access delta, every new grant crossing tenants marked", () => {
    inviteAliceIntoCarol();
    const r = diff();
    expect(r.code).toBe(0);
    // one line for the binding, under its principal, not one per granted resource
    expect(r.stdout).toMatch(
      /^ {2}user:alice@example\.com\n {4}! kubernetes @main namespace:carol via RoleBinding carol\/tenant-member-alice -> ClusterRole tenancy-namespace-viewer: get,list,watch configmaps, .* and \d+ more/m,
    );
    expect(r.stdout.match(/^ {4}! /gm)).toHaveLength(1);
    expect(r.stdout).toMatch(/1 binding crossing tenants \(!\)$/m);
    expect(r.stdout).not.toMatch(/^ {4}\+ /m);
  });

  it("an environment change touching every tenant", () => {
    write(
      "environments/example.yaml",
      read("environments/example.yaml").replace("    pods: 20\n", "    pods: 25\n"),
    );
    const { code, body } = json();
    expect(code).toBe(0);
    // every namespace whose quota comes from the default (not set by its tier or tenant)
    const quotas = body.resources.filter((r) => r.type === "kubernetes:core/v1:ResourceQuota");
    expect(quotas.map((q) => q.name).sort()).toEqual([
      "alice-dev-quota",
      "alice-quota",
      "carol-quota",
      "dave-quota",
      "eu-gpu:alice-dev-quota",
    ]);
    for (const q of quotas) expect(q.changes).toEqual([{ path: "spec.hard.pods", old: "20", new: "25" }]);
    expect((body as unknown as { planned: unknown }).planned).toEqual({ tenants: 4, of: 4 });
  });

  it("markdown for a pull request comment: summary table, a section per tenant, the access delta drawn", () => {
    raiseAliceCpu();
    const changed = diff("--format", "markdown");
    expect(changed.code).toBe(0);
    expect(changed.stdout).toBe(
      [
        "### tenancy diff: HEAD → working tree (environment example)",
        "",
        "| | tenants | resources | access rows |",
        "| --- | ---: | ---: | ---: |",
        "| added | 0 | 0 | 0 |",
        "| changed | 1 | 2 | |",
        "| offboarding | 0 | | |",
        "| removed | 0 | 0 | 0 |",
        "",
        "<details><summary>tenant alice: changed (2)</summary>",
        "",
        "| | layer | resource | change |",
        "| --- | --- | --- | --- |",
        '| ~ | platform | ResourceQuota alice-dev/tenant-quota @main | spec.hard.requests.cpu: "2" → "1500m" |',
        '| ~ | platform | ResourceQuota alice-dev/tenant-quota @eu-gpu | spec.hard.requests.cpu: "2" → "1500m" |',
        "",
        "</details>",
        "",
        "<sub>planned: 1 of 4 tenants, those the change can touch (--full plans all)</sub>",
        "",
      ].join("\n"),
    );
    inviteAliceIntoCarol();
    const invited = diff("--format", "markdown").stdout;
    expect(invited).toMatch(/1 new binding \(\d+ grants\) reach into another tenant's namespaces/);
    expect(invited).toContain(
      '```mermaid\nflowchart LR\n  n0["user:alice@example.com"]\n  n1["namespace:carol"]\n  n0 -->|"! get,list,watch configmaps and ',
    );
  });

  it("the guard's hint names tenancy up's flag, which diff does not have", () => {
    rmSync(join(repo, "tenants", "dave.yaml"));
    write(
      "tenants/alice.yaml",
      read("tenants/alice.yaml").replace("  - alice\n", "").replace("domains:\n  - alice.example.com\n", ""),
    );
    const r = json();
    expect(r.code).toBe(3);
    expect(r.body.refused).toMatch(/tenancy up --allow-removals applies it anyway/);
    expect(r.body.refused).not.toMatch(/re-run with/);
  });

  it("a promotion raises privileges: shown first, counted apart from access rows, exit 6", () => {
    write("tenants/bob.yaml", read("tenants/bob.yaml").replace("role: power-user", "role: admin"));
    const r = diff();
    expect(r.code).toBe(6);
    expect(r.stdout.split("\n").slice(2, 5)).toEqual([
      "privileges raised: 2 (a platform admin must approve: exit 6, tenancy approve-check)",
      "  bob",
      "    ^ role: role power-user -> admin",
    ]);
    expect(r.stdout).toMatch(/^summary: privileges raised 2; /m);
    expect(r.stderr).toMatch(/a platform admin must approve/);
    const j = json();
    expect(j.code).toBe(6);
    expect(j.body.privileges).toContainEqual({
      principal: "bob",
      tenant: "bob",
      kind: "role",
      what: "role power-user -> admin",
    });
  });

  describe("approve-check: the pull request's required check", () => {
    const HEAD_SHA = "0123456789abcdef0123456789abcdef01234567";
    const review = (login: string, state = "APPROVED", commit = HEAD_SHA) => ({
      user: { login },
      state,
      commit_id: commit,
    });
    const check = (reviews: unknown[], members: string[] = ["platform-lead"]) => {
      write("reviews.json", JSON.stringify(reviews));
      write("members.json", JSON.stringify(members.map((login) => ({ login }))));
      return runCli(
        [
          "approve-check",
          "--base",
          "HEAD",
          "--approvals",
          "reviews.json",
          "--admin-members",
          "members.json",
          "--head",
          HEAD_SHA,
        ],
        { cwd: repo },
      );
    };
    const promoteBob = () =>
      write("tenants/bob.yaml", read("tenants/bob.yaml").replace("role: power-user", "role: admin"));

    it("bob's team alone cannot pass bob's promotion; an admin's approval does", () => {
      promoteBob();
      // bob's maintainers and carol (bob's manager, a reviewer of bob.yaml) approve: not enough
      const team = check([review("bob-maintainer"), review("carol-example")]);
      expect(team.code).toBe(6);
      expect(team.stderr).toMatch(/need the approval of a platform admin \(@example-org\/platform-admins\)/);
      expect(team.stderr).toMatch(/bob: role power-user -> admin/);
      // an admin's approval of an earlier commit, or withdrawn by a later request for changes: not enough
      expect(check([review("platform-lead", "APPROVED", "f".repeat(40))]).code).toBe(6);
      expect(check([review("platform-lead"), review("platform-lead", "CHANGES_REQUESTED")]).code).toBe(6);
      // the admin team's members not given: the team approves nothing
      expect(check([review("platform-lead")], []).code).toBe(6);
      const admin = check([
        review("bob-maintainer"),
        review("platform-lead"),
        review("platform-lead", "COMMENTED"),
      ]);
      expect(admin.stderr).toBe("");
      expect(admin.code).toBe(0);
      expect(admin.stdout).toMatch(/approved by platform-lead/);
    });

    it("an admin who reviews bob's record as bob's own account does not count for bob's raise", () => {
      promoteBob();
      write(
        "tenants/bob.yaml",
        read("tenants/bob.yaml").replace(
          'git: ["@bob-team/maintainers"]',
          'git: ["@bob-team/maintainers", "@platform-lead"]',
        ),
      );
      expect(check([review("platform-lead")]).code).toBe(6);
      expect(
        check([review("platform-lead"), review("other-admin")], ["platform-lead", "other-admin"]).code,
      ).toBe(0);
    });

    it("a pull request naming its own admins: the target branch's admins decide", () => {
      promoteBob();
      write(
        "environments/example.yaml",
        read("environments/example.yaml").replace(
          'admins: ["@example-org/platform-admins"]',
          'admins: ["@example-org/platform-admins", "@bob-maintainer"]',
        ),
      );
      expect(check([review("bob-maintainer")]).code).toBe(6);
    });

    it("a change raising nothing passes with the tenant's own team alone", () => {
      write("tenants/bob.yaml", read("tenants/bob.yaml").replace("  pods: 40\n", "  pods: 30\n"));
      const r = check([review("bob-maintainer")]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/no privilege raised/);
    });
  });

  it("refuses a ref that is not one, and a ref that looks like an option", () => {
    expect(runCli(["diff", "--base", "nosuch"], { cwd: repo }).code).toBe(2);
    expect(runCli(["diff", "--base=--output=x"], { cwd: repo }).code).toBe(2);
  });
});
