/**
 * `tenancy onboard` and `tenancy offboard` on a copy of the example registry: the record written (pinned), the
 * validator's messages when it would be invalid (nothing written), never an overwrite, and offboarding that
 * keeps the file's comments and layout, for a tenant and for one namespace.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { offboardText, parseMember } from "../../registry/records";
import { ROOT, copyExample, runCli } from "../helpers/cli";

let dir: string;
const cli = (...args: string[]) => runCli(args, { cwd: dir });
const read = (file: string) => readFileSync(join(dir, file), "utf8");

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tenancy-records-"));
  copyExample(dir);
  cpSync(join(ROOT, "schema"), join(dir, "schema"), { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("tenancy onboard", () => {
  it("writes a valid record with the schema line, only the fields given", () => {
    const r = cli(
      "onboard",
      "erin",
      "--email",
      "erin@example.com",
      "--tier",
      "team",
      "--namespace",
      "erin",
      "--namespace",
      "erin-dev",
      "--domain",
      "erin.example.com",
      "--member",
      "alice:developer:erin-dev",
      "--member",
      "bob:viewer",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote tenants\/erin\.yaml: commit it and open a pull request/);
    expect(read("tenants/erin.yaml")).toBe(
      [
        "# yaml-language-server: $schema=../schema/tenant.schema.json",
        "email: erin@example.com",
        "tier: team",
        "namespaces:",
        "  - erin",
        "  - erin-dev",
        "domains:",
        "  - erin.example.com",
        "members:",
        "  - tenant: alice",
        "    role: developer",
        "    namespaces:",
        "      - erin-dev",
        "  - tenant: bob",
        "    role: viewer",
        "",
      ].join("\n"),
    );
    const valid = cli("validate");
    expect(valid.code).toBe(0);
    expect(valid.stdout).toMatch(/^valid: 5 tenants/);
    // the minimal record: an email, everything else the environment's defaults
    expect(cli("onboard", "frank", "--email", "frank@example.com", "--json").code).toBe(0);
    expect(read("tenants/frank.yaml")).toBe(
      "# yaml-language-server: $schema=../schema/tenant.schema.json\nemail: frank@example.com\n",
    );
  });

  it("refuses with the validator's messages, each naming the file and field, and writes nothing", () => {
    const r = cli(
      "onboard",
      "frank",
      "--email",
      "frank@example.com",
      "--tier",
      "gold",
      "--domain",
      "alice.example.com",
      "--member",
      "zed:viewer",
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('tenants/frank.yaml: tier: "gold" is not a tier of environment "example"');
    expect(r.stderr).toContain(
      'tenants/frank.yaml: domains[0]: "alice.example.com" is already claimed by tenant "alice"',
    );
    expect(r.stderr).toContain(
      'tenants/frank.yaml: members[0].tenant: "zed" is not a tenant of this registry',
    );
    expect(r.stderr).toMatch(/3 problems found; nothing was changed\.\n$/);
    expect(existsSync(join(dir, "tenants/frank.yaml"))).toBe(false);
  });

  it("never overwrites, refuses a bad id or member spec (usage, exit 2)", () => {
    const before = read("tenants/alice.yaml");
    const again = cli("onboard", "alice", "--email", "someone@example.com");
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/tenants\/alice\.yaml exists already/);
    expect(read("tenants/alice.yaml")).toBe(before);
    expect(cli("onboard", "../evil", "--email", "e@example.com").code).toBe(2);
    expect(cli("onboard", "Erin", "--email", "e@example.com").code).toBe(2);
    expect(cli("onboard", "erin", "--email", "e@example.com", "--member", "bob").code).toBe(2);
    expect(cli("onboard", "erin").code).toBe(2); // --email is required
    expect(() => parseMember("bob:viewer:a,b")).not.toThrow();
    expect(parseMember("bob:viewer:a,b")).toEqual({ tenant: "bob", role: "viewer", namespaces: ["a", "b"] });
  });
});

describe("tenancy onboard --parent", () => {
  it("writes a child of an organisation; one outside its parent's bounds is refused with file and field, nothing written", () => {
    writeFileSync(
      join(dir, "tenants/acme.yaml"),
      "email: acme@example.com\ntier: team\ndomains: [acme.example.com]\n",
    );
    const ok = cli(
      "onboard",
      "acme-shop",
      "--email",
      "shop@example.com",
      "--tier",
      "team",
      "--parent",
      "acme",
      "--domain",
      "shop.acme.example.com",
    );
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(read("tenants/acme-shop.yaml")).toBe(
      "# yaml-language-server: $schema=../schema/tenant.schema.json\nemail: shop@example.com\ntier: team\nparent: acme\ndomains:\n  - shop.acme.example.com\n",
    );
    const outside = cli(
      "onboard",
      "acme-blog",
      "--email",
      "blog@example.com",
      "--tier",
      "team",
      "--parent",
      "acme",
      "--domain",
      "blog.example.org",
    );
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain(
      'tenants/acme-blog.yaml: domains[0]: "blog.example.org" is outside the domains of its parent tenant "acme" (tenants/acme.yaml) (acme.example.com); a child\'s domains are its parent\'s or below them',
    );
    expect(existsSync(join(dir, "tenants/acme-blog.yaml"))).toBe(false);
  });
});

describe("tenancy offboard", () => {
  it("sets phase one on the tenant, keeping every comment and line; twice is a no-op", () => {
    const before = read("tenants/alice.yaml");
    const r = cli("offboard", "alice");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Phase two, in a later change after that apply: delete the file\.$/m);
    expect(read("tenants/alice.yaml")).toBe(`${before}offboarding: true\n`);
    const again = cli("offboard", "alice");
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/offboarding already/);
    expect(read("tenants/alice.yaml")).toBe(`${before}offboarding: true\n`);
    expect(cli("validate").stdout).toMatch(/\(2 offboarding\)/);
  });

  it("one namespace: a plain name becomes {name, offboarding}; the rest of the file is untouched", () => {
    const before = read("tenants/alice.yaml");
    expect(cli("offboard", "alice", "--namespace", "alice").code).toBe(0);
    expect(read("tenants/alice.yaml")).toBe(
      before.replace("  - alice\n", "  - name: alice\n    offboarding: true\n"),
    );
    // a namespace written as a mapping gets the key added
    expect(cli("offboard", "alice", "--namespace", "alice-dev").code).toBe(0);
    expect(read("tenants/alice.yaml")).toContain(
      "  - name: alice-dev\n    offboarding: true\n    # also on the GPU cluster of the same region\n    clusterSelector:\n",
    );
    expect(cli("offboard", "alice", "--namespace", "nope").code).toBe(2);
  });

  it("refuses an unknown tenant, and a result the validator would refuse", () => {
    expect(cli("offboard", "zed").code).toBe(2);
    // bob's namespace bob-staging hosts alice as a member: offboarding it is fine; a broken file is not edited
    writeFileSync(join(dir, "tenants/dave.yaml"), "email: [unclosed\n");
    const r = cli("offboard", "dave");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tenants\/dave\.yaml: cannot edit/);
  });

  it("an organisation: a parent alone is refused while a child is active; --recursive offboards the tree, and diff shows each", () => {
    writeFileSync(join(dir, "tenants/acme.yaml"), "email: acme@example.com\ntier: team\n");
    writeFileSync(
      join(dir, "tenants/acme-web.yaml"),
      "# the shop\nemail: web@example.com\ntier: team\nparent: acme\n",
    );
    writeFileSync(
      join(dir, "tenants/acme-api.yaml"),
      "email: api@example.com\ntier: team\nparent: acme-web\n",
    );
    expect(cli("validate").code).toBe(0);
    const git = (...args: string[]) =>
      execFileSync("git", args, {
        cwd: dir,
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: "t",
          GIT_AUTHOR_EMAIL: "t@example.com",
          GIT_COMMITTER_NAME: "t",
          GIT_COMMITTER_EMAIL: "t@example.com",
        },
      });
    git("init", "-q");
    git("add", ".");
    git("commit", "-q", "-m", "base");

    const alone = cli("offboard", "acme");
    expect(alone.code).toBe(1);
    expect(alone.stderr).toContain(
      'tenants/acme.yaml: offboarding: tenant "acme" is offboarding while its child tenant "acme-web" (tenants/acme-web.yaml) is not: offboard the children first, or all at once with tenancy offboard acme --recursive',
    );
    expect(read("tenants/acme.yaml")).toBe("email: acme@example.com\ntier: team\n");
    expect(cli("offboard", "acme", "--recursive", "--namespace", "acme").code).toBe(2);

    const r = cli("offboard", "acme", "--recursive");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^offboarding: true set for acme, acme-web, acme-api in /);
    expect(read("tenants/acme-web.yaml")).toBe(
      "# the shop\nemail: web@example.com\ntier: team\nparent: acme\noffboarding: true\n",
    );
    expect(read("tenants/acme-api.yaml")).toMatch(/offboarding: true\n$/);
    expect(cli("offboard", "acme", "--recursive").stdout).toMatch(/offboarding already: nothing changed/);

    const diff = cli("diff", "--base", "HEAD", "--json");
    expect(diff.code).toBe(0);
    const body = JSON.parse(diff.stdout) as { tenants: { id: string; status: string }[] };
    expect(body.tenants.filter((t) => t.id.startsWith("acme"))).toEqual([
      { id: "acme", status: "offboarding" },
      { id: "acme-api", status: "offboarding" },
      { id: "acme-web", status: "offboarding" },
    ]);
  });

  it("keeps flow lists and comments as written", () => {
    const text = "# keep me\nemail: a@example.com # and me\nnamespaces: [a, a-dev] # flow\n";
    expect(offboardText(text, "t.yaml", "a-dev")).toBe(
      "# keep me\nemail: a@example.com # and me\nnamespaces: [a, {name: a-dev, offboarding: true}] # flow\n",
    );
    expect(offboardText(text, "t.yaml")).toBe(`${text}offboarding: true\n`);
  });
});
