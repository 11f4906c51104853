/**
 * Hostile input: bad registries written as real files and validated as `tenancy validate` validates them,
 * as a user or CI would run it. Every case must exit 1 with a clear message naming the file and the field,
 * and never a stack trace.
 *
 * The same for a hostile Vault (a local fake, test/helpers/vault-server.ts) behind `--source vault`: every
 * fault kind gives its exit code and a message naming the Vault path, and neither the token nor a password
 * in VAULT_ADDR is ever printed.
 *
 * Spawning the CLI costs 0.6-2 s, so the cases run in this process (test/helpers/validate-in-process.ts: the
 * CLI's option parsing, its registry loading and its failure report, in each case's directory), one after the
 * other, before the assertions; a few representative ones (`cli: true`) run through the real CLI in child
 * processes instead, and a test checks that this process gives those the same exit code and lines. Hazards
 * that only the YAML parser sees (nested duplicates, NUL, several documents) are unit-tested in
 * validate.test.ts.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvironmentFile, TenantFile } from "../../registry/schema";
import { type CliResult, EXAMPLE, EXAMPLE_ENV_PATH, ROOT, runCliAsync } from "../helpers/cli";
import { validateInProcess } from "../helpers/validate-in-process";
import {
  type FaultRule,
  type VaultServer,
  type VaultServerOptions,
  closedPort,
  envelope,
  startVaultServer,
} from "../helpers/vault-server";

const EXAMPLE_ENV = readFileSync(EXAMPLE_ENV_PATH, "utf8");
const NAMESPACE_RULE = "is not a valid namespace name (lowercase RFC 1123 label, at most 63 characters)";
// follows the schema (which grows); the rest of the message is pinned
const TENANT_FIELDS = `(known fields: ${Object.keys(TenantFile.shape).join(", ")})`;
const ENV_FIELDS = `(known fields: ${Object.keys(EnvironmentFile.shape).join(", ")})`;

interface Case {
  name: string;
  /** Files relative to the registry root; environments/example.yaml is the example's unless given. */
  files: Record<string, string | Uint8Array>;
  /**
   * Symbolic links made after the files, path -> target; a target starting with `@outside/` points into a
   * directory beside the registry root holding a secret (OUTSIDE_SECRET) that must never be printed.
   */
  links?: Record<string, string>;
  /** FIFOs made after the files. */
  fifos?: string[];
  /** Arguments after `validate`. */
  args?: string[];
  /** The exit code; default 1. */
  code?: number;
  /** The problem lines printed, exactly (the summary line is checked apart); for another exit code, stderr's lines. */
  expected: string[];
  /** Run through the real CLI in a child process: one of the few representative cases. */
  cli?: true;
}

const OUTSIDE_SECRET = "hvs.OUTSIDE-secret-never-printed";
const SYMLINK =
  "is a symbolic link; registry and environment files must be regular files, and links are not followed (copy the file instead)";
const TENANT_ID_RULE = "is not a valid tenant id (lowercase RFC 1123 label, at most 63 characters)";
const longLine = `|quoted-at-length-${"x".repeat(5000)}`;
const LONG_KEY = "k".repeat(1000);

const tenant = (email: string, rest = "") => `email: ${email}\n${rest}`;
const alice = (rest = "") => tenant("alice@example.com", rest);
const bob = (rest = "") => tenant("bob@example.com", rest);

const billionLaughs = [
  'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
  ...["b", "c", "d", "e", "f", "g", "h", "i"].map(
    (name, i) => `${name}: &${name} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(", ")}]`,
  ),
  "email: alice@example.com",
].join("\n");

const oversized = `${alice()}# ${"x".repeat(300_000)}\n`;

const CASES: Case[] = [
  // YAML hazards
  {
    name: "a duplicate key",
    files: { "tenants/alice.yaml": alice("displayName: Alice\nemail: other@example.com\n") },
    expected: [
      'tenants/alice.yaml: email: line 3, column 1: duplicate key "email"; a key may appear only once in a mapping',
    ],
  },
  {
    name: "an alias bomb (billion laughs)",
    files: { "tenants/alice.yaml": billionLaughs },
    expected: [
      "tenants/alice.yaml: YAML aliases expand too far (more than 50); write the values out instead",
    ],
  },
  {
    name: "bytes that are not UTF-8",
    files: {
      "tenants/alice.yaml": Buffer.concat([
        Buffer.from("email: alice@example.com\ndisplayName: Al"),
        Buffer.from([0xff, 0xfe]),
        Buffer.from("ce\n"),
      ]),
    },
    expected: ["tenants/alice.yaml: file is not valid UTF-8 text"],
  },
  {
    name: "an oversized file (more than 256 KiB)",
    files: { "tenants/alice.yaml": oversized },
    expected: [
      `tenants/alice.yaml: file is ${Buffer.byteLength(oversized)} bytes; at most 262144 bytes are accepted`,
    ],
  },
  {
    name: "a file that is a list",
    files: { "tenants/alice.yaml": "- email: alice@example.com\n" },
    expected: ["tenants/alice.yaml: expected a mapping of fields at the top level, got a list"],
  },
  {
    name: "a file that is a scalar",
    files: { "tenants/alice.yaml": "alice@example.com\n" },
    expected: ['tenants/alice.yaml: expected a mapping of fields at the top level, got "alice@example.com"'],
  },
  {
    name: "an empty file",
    files: { "tenants/alice.yaml": "" },
    expected: ["tenants/alice.yaml: file is empty; expected a mapping of fields"],
  },
  {
    name: "a YAML syntax error",
    files: { "tenants/alice.yaml": alice("namespaces: [alice, alice-dev\n") },
    expected: [
      "tenants/alice.yaml: line 3, column 1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ],
  },
  // file names
  {
    name: "a file name that is not a valid tenant id",
    files: { "tenants/Alice.yaml": alice() },
    expected: [
      'tenants/Alice.yaml: tenant id "Alice" (from the file name or key) is not a valid tenant id (lowercase RFC 1123 label, at most 63 characters)',
    ],
  },
  {
    name: "one tenant in two files (.yaml and .yml)",
    files: { "tenants/alice.yaml": alice(), "tenants/alice.yml": alice() },
    expected: ['tenants/alice.yml: tenant "alice" is also defined in tenants/alice.yaml'],
  },
  // names
  {
    name: "an uppercase namespace",
    files: { "tenants/alice.yaml": alice("namespaces: [alice, Alice-Dev]\n") },
    expected: [`tenants/alice.yaml: namespaces[1]: "Alice-Dev" ${NAMESPACE_RULE}`],
  },
  {
    name: "a 64-character namespace",
    files: { "tenants/alice.yaml": alice(`namespaces:\n  - name: ${"a".repeat(64)}\n`) },
    expected: [`tenants/alice.yaml: namespaces[0].name: "${"a".repeat(64)}" ${NAMESPACE_RULE}`],
  },
  {
    name: "a namespace with a dot",
    files: { "tenants/alice.yaml": alice("namespaces: [alice.dev]\n") },
    expected: [`tenants/alice.yaml: namespaces[0]: "alice.dev" ${NAMESPACE_RULE}`],
  },
  {
    name: "a bad email",
    files: { "tenants/alice.yaml": tenant("alice@@example.com") },
    expected: ['tenants/alice.yaml: email: "alice@@example.com" is not a valid email address'],
  },
  // domains
  {
    name: "a wildcard domain",
    files: { "tenants/alice.yaml": alice('domains: ["*.alice.example.com"]\n') },
    expected: [
      'tenants/alice.yaml: domains[0]: "*.alice.example.com" is a wildcard; the environment does not allow wildcard domains (dns.allowWildcards)',
    ],
  },
  {
    name: "a domain outside the configured zones",
    files: { "tenants/alice.yaml": alice("domains: [alice.example.net]\n") },
    expected: [
      'tenants/alice.yaml: domains[0]: "alice.example.net" is not in a configured DNS zone (zones: example.com, example.org, apps.example.com)',
    ],
  },
  {
    name: "a domain claimed twice",
    files: {
      "tenants/alice.yaml": alice("domains: [shop.example.com]\n"),
      "tenants/bob.yaml": bob("domains: [shop.example.com]\n"),
    },
    expected: [
      'tenants/bob.yaml: domains[0]: "shop.example.com" is already claimed by tenant "alice" (tenants/alice.yaml)',
    ],
  },
  {
    name: "a domain inside another tenant's domain",
    files: {
      "tenants/alice.yaml": alice("domains: [eu.shop.example.com]\n"),
      "tenants/bob.yaml": bob("domains: [shop.example.com]\n"),
    },
    expected: [
      'tenants/alice.yaml: domains[0]: "eu.shop.example.com" is inside "shop.example.com", claimed by tenant "bob" (tenants/bob.yaml)',
    ],
  },
  // namespaces across tenants
  {
    name: "a namespace owned twice",
    files: {
      "tenants/alice.yaml": alice("namespaces: [shared]\n"),
      "tenants/bob.yaml": bob("namespaces: [bob, shared]\n"),
    },
    expected: [
      'tenants/bob.yaml: namespaces[1]: "shared" is already owned by tenant "alice" (tenants/alice.yaml); a namespace has one owner',
    ],
  },
  {
    name: "a namespace named after another tenant",
    files: { "tenants/alice.yaml": alice("namespaces: [alice, bob]\n"), "tenants/bob.yaml": bob() },
    expected: [
      'tenants/alice.yaml: namespaces[1]: "bob" is the id of tenant "bob" (tenants/bob.yaml); a namespace may not be named after another tenant',
    ],
  },
  {
    name: "the reserved namespace default",
    files: { "tenants/alice.yaml": alice("namespaces: [default]\n") },
    expected: [
      'tenants/alice.yaml: namespaces[0]: "default" is a reserved namespace (platform or system); choose another name',
    ],
  },
  {
    name: "a kube- namespace",
    files: { "tenants/alice.yaml": alice("namespaces: [kube-foo]\n") },
    expected: [
      'tenants/alice.yaml: namespaces[0]: "kube-foo" starts with the reserved prefix "kube-"; choose another name',
    ],
  },
  {
    name: "the ingress controller's namespace",
    files: { "tenants/alice.yaml": alice("namespaces: [ingress-nginx]\n") },
    expected: [
      'tenants/alice.yaml: namespaces[0]: "ingress-nginx" is a reserved namespace (platform or system); choose another name',
    ],
  },
  // members and apps
  {
    name: "a member that is not a tenant",
    files: { "tenants/alice.yaml": alice("members:\n  - tenant: mallory\n    role: owner\n") },
    expected: ['tenants/alice.yaml: members[0].tenant: "mallory" is not a tenant of this registry'],
  },
  {
    name: "a member invited into another tenant's namespace",
    files: {
      "tenants/alice.yaml": alice("members:\n  - tenant: bob\n    role: owner\n    namespaces: [bob]\n"),
      "tenants/bob.yaml": bob(),
    },
    expected: [
      'tenants/alice.yaml: members[0].namespaces[0]: "bob" is not a namespace of tenant "alice" (its namespaces: alice)',
    ],
  },
  {
    name: "an app not in the catalog",
    files: { "tenants/alice.yaml": alice("apps:\n  - name: bitcoin-miner\n") },
    expected: [
      `tenants/alice.yaml: apps[0].name: "bitcoin-miner" is not in the environment's app catalog (catalog: jupyter, code-server, actual-budget)`,
    ],
  },
  // quotas
  {
    name: "a quota over the tier's maximum",
    files: {
      "tenants/alice.yaml": alice("namespaces:\n  - name: alice\n    quota:\n      requests.memory: 9Gi\n"),
    },
    expected: [
      'tenants/alice.yaml: namespaces[0].quota.requests.memory: requests.memory "9Gi" for namespace "alice" exceeds the tier "standard" maximum of "8Gi" (environments/example.yaml)',
    ],
  },
  {
    name: "namespace quotas over the tier's budget",
    files: {
      "tenants/alice.yaml": alice(
        "namespaces:\n" +
          "  - name: alice\n    quota: {requests.memory: 4097Mi}\n" +
          "  - name: alice-dev\n    quota: {requests.memory: 4Gi}\n" +
          "  - name: alice-ci\n    quota: {requests.memory: 4Gi}\n",
      ),
    },
    expected: [
      'tenants/alice.yaml: namespaces: requests.memory summed over 3 namespaces is "12289Mi", over the tier "standard" budget of "12Gi"',
    ],
  },
  // schema
  {
    name: "an unknown key, with a suggestion",
    files: { "tenants/alice.yaml": alice("namespace: [alice]\n") },
    expected: [
      `tenants/alice.yaml: namespace: unknown field "namespace"; did you mean "namespaces"? ${TENANT_FIELDS}`,
    ],
  },
  {
    name: 'wrong types: namespaces as a string, offboarding: "yes"',
    files: { "tenants/alice.yaml": alice("namespaces: alice\noffboarding: yes\n") },
    expected: [
      'tenants/alice.yaml: namespaces: expected a list, got "alice"',
      'tenants/alice.yaml: offboarding: expected a boolean, got "yes"',
    ],
  },
  // the environment
  {
    name: "an environment file that is not YAML",
    files: {
      "environments/example.yaml": "clusters:\n  - name: main\n    context: [example-admin\n",
      "tenants/alice.yaml": alice(),
    },
    expected: [
      "environments/example.yaml: line 4, column 1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ],
  },
  {
    name: "an environment with a typo, and a bad tenant besides",
    cli: true,
    files: {
      "environments/example.yaml": EXAMPLE_ENV.replace("allowWildcards: false", "allowWildcard: false"),
      "tenants/alice.yaml": tenant("alice"),
    },
    expected: [
      'environments/example.yaml: dns.allowWildcard: unknown field "allowWildcard"; did you mean "allowWildcards"? (known fields: zones, allowWildcards, reservedNames, records)',
      'tenants/alice.yaml: email: "alice" is not a valid email address',
    ],
  },
  // identity look-alikes: invisible and control characters refused in every identity field
  {
    name: "an email with a zero-width space, rendering like another tenant's",
    files: { "tenants/alice.yaml": alice(), "tenants/mallory.yaml": tenant("alice\u200b@example.com") },
    expected: ['tenants/mallory.yaml: email: "alice\u200b@example.com" is not a valid email address'],
  },
  {
    name: "an email with a right-to-left override",
    files: { "tenants/mallory.yaml": tenant("\u202emoc.elpmaxe@ecila") },
    expected: ['tenants/mallory.yaml: email: "\\u202emoc.elpmaxe@ecila" is not a valid email address'],
  },
  {
    name: "a display name with a bidi control",
    files: { "tenants/alice.yaml": alice('displayName: "Alice \u2067admin\u2069"\n') },
    expected: [
      'tenants/alice.yaml: displayName: "Alice \\u2067admin\\u2069" is not visible text (it holds control or invisible characters)',
    ],
  },
  {
    name: "the same email in another case",
    files: { "tenants/alice.yaml": alice(), "tenants/mallory.yaml": tenant("ALICE@Example.com") },
    expected: [
      'tenants/mallory.yaml: email: "ALICE@Example.com" is already the identity of tenant "alice"; an email belongs to one tenant',
    ],
  },
  // claims on shared DNS
  {
    name: "a zone apex as a domain",
    files: { "tenants/mallory.yaml": tenant("m@example.com", "domains: [example.com]\n") },
    expected: [
      'tenants/mallory.yaml: domains[0]: "example.com" is the apex of the zone "example.com"; tenants claim names inside a zone, not the zone',
    ],
  },
  {
    name: "a platform-reserved name as a domain",
    files: {
      "environments/example.yaml": EXAMPLE_ENV.replace(
        "allowWildcards: false",
        "allowWildcards: false\n  reservedNames: [www, mail]",
      ),
      "tenants/mallory.yaml": tenant("m@example.com", "domains: [www.example.org]\n"),
    },
    expected: [
      'tenants/mallory.yaml: domains[0]: "www.example.org" is reserved for the platform (dns.reservedNames: "www" in environments/example.yaml)',
    ],
  },
  // prototype and empty keys
  {
    name: "__proto__ as an app setting",
    files: {
      "tenants/alice.yaml": alice(
        "apps:\n  - name: jupyter\n    settings:\n      __proto__: { storage: 1Ti }\n",
      ),
    },
    expected: [
      'tenants/alice.yaml: apps[0].settings.__proto__: "__proto__" cannot be a key (empty or a prototype key)',
    ],
  },
  {
    name: "an empty key as a CI bound claim",
    files: {
      "tenants/bob.yaml": bob('ci:\n  boundClaims:\n    "": bob-team\n    repository_owner: bob-team\n'),
    },
    expected: ['tenants/bob.yaml: ci.boundClaims[""]: "" cannot be a key (empty or a prototype key)'],
  },
  {
    name: "constructor as a tier name in the environment",
    files: {
      "environments/example.yaml": EXAMPLE_ENV.replace(
        "tiers:\n",
        "tiers:\n  constructor:\n    description: x\n",
      ),
      "tenants/alice.yaml": alice(),
    },
    expected: [
      'environments/example.yaml: tiers.constructor: "constructor" cannot be a key (empty or a prototype key)',
    ],
  },
  // CI identities that bind nothing of the tenant's own
  {
    name: "a glob as a bound claim value",
    files: { "tenants/bob.yaml": bob("ci:\n  boundClaims:\n    repository_owner: '*'\n") },
    expected: [
      'tenants/bob.yaml: ci.boundClaims.repository_owner: "*" is not an exact value: a glob (* or ?) would bind more than this tenant',
    ],
  },
  {
    name: "bound claims that name no repository or owner",
    files: { "tenants/bob.yaml": bob("ci:\n  boundClaims:\n    aud: https://vault.example.com\n") },
    expected: [
      "tenants/bob.yaml: ci.boundClaims: binds none of the claims that name a tenant's own repository or owner (repository, repository_id, repository_owner, repository_owner_id, project_path, project_id, namespace_path, namespace_id; ci.perTenant.tenantClaims in environments/example.yaml), so pipelines of other tenants could obtain this tenant's deployer credentials",
    ],
  },
  {
    name: "CI bound only by names, which can be renamed and registered again",
    files: { "tenants/bob.yaml": bob("ci:\n  boundClaims:\n    repository: bob-team/app\n") },
    expected: [
      "tenants/bob.yaml: ci.boundClaims: binds no immutable identifier (one of repository_id, repository_owner_id, project_id, namespace_id; ci.perTenant.immutableClaims in environments/example.yaml): a repository or owner name can be renamed and registered again by someone else",
    ],
  },
  // issue 25: names the platform generates or serves, taken from another tenant or from the platform
  {
    name: "a namespace whose generated wildcard certificate name covers another tenant's domain",
    files: {
      "environments/example.yaml": EXAMPLE_ENV.replace(
        "  issuerKind: ClusterIssuer\n",
        "  issuerKind: ClusterIssuer\n  namespaceWildcard: example.org\n",
      ),
      "tenants/bob.yaml": bob("domains: [shop.example.org]\n"),
      "tenants/mallory.yaml": tenant("mallory@example.com", "namespaces: [shop]\n"),
    },
    expected: [
      'tenants/mallory.yaml: namespaces[0]: the certificate name "*.shop.example.org" of namespace "shop" (tls.namespaceWildcard in environments/example.yaml) is already claimed by tenant "bob" (tenants/bob.yaml)',
    ],
  },
  {
    name: "a domain squatting every tenant's host of a shared catalog app",
    files: { "tenants/mallory.yaml": tenant("mallory@example.com", "domains: [budget.apps.example.com]\n") },
    expected: [
      'tenants/mallory.yaml: domains[0]: "budget.apps.example.com" covers the hosts of catalog app "actual-budget" ("{tenant}.budget.apps.example.com": catalog.actual-budget.host in environments/example.yaml), served by the platform',
    ],
  },
  // issue 25: claim sets one ID token can satisfy for two tenants (each validated on main before)
  {
    name: "a repository id alone, inside another tenant's owner",
    files: {
      "tenants/alice.yaml": alice(
        'ci:\n  boundClaims:\n    repository_owner: acme\n    repository_owner_id: "1"\n',
      ),
      "tenants/bob.yaml": bob('ci:\n  boundClaims:\n    repository_id: "5"\n'),
    },
    expected: [
      `tenants/bob.yaml: ci.boundClaims: these claims and tenant "alice"'s (tenants/alice.yaml: ci.boundClaims) share no claim naming a repository or owner (repository_owner, repository_owner_id there, repository_id here), so nothing tells their tokens apart: an ID token with repository_id "5", repository_owner "acme", repository_owner_id "1" satisfies both, and its pipeline would obtain both tenants' deployer credentials; tell them apart by a claim naming a repository or owner that both bind with different values (tenant "alice" binds repository_owner, repository_owner_id)`,
    ],
  },
  {
    name: "a comma-joined claim value, which Vault's provider splits into a list",
    files: {
      "tenants/alice.yaml": alice('ci:\n  boundClaims:\n    repository_id: "5"\n'),
      "tenants/bob.yaml": bob('ci:\n  boundClaims:\n    repository_id: "6,5"\n'),
    },
    expected: [
      `tenants/bob.yaml: ci.boundClaims.repository_id: "6,5" is not one value: Vault's provider splits a bound claim at its commas into a list, any one of which matches, so it could take in another tenant's pipelines`,
    ],
  },
  {
    name: "a list of claim values",
    files: {
      "tenants/bob.yaml": bob('ci:\n  boundClaims:\n    repository_id: ["6", "5"]\n'),
    },
    expected: ['tenants/bob.yaml: ci.boundClaims.repository_id: expected a string, got ["6","5"]'],
  },
  {
    name: "a repository of another tenant's owner, bound with the owner's id",
    files: {
      "tenants/alice.yaml": alice('ci:\n  boundClaims:\n    repository_owner_id: "1"\n'),
      "tenants/bob.yaml": bob('ci:\n  boundClaims:\n    repository_owner_id: "1"\n    repository_id: "6"\n'),
    },
    expected: [
      `tenants/bob.yaml: ci.boundClaims: these claims bind the same repository_owner_id "1" as tenant "alice"'s (tenants/alice.yaml: ci.boundClaims), and no claim naming a repository or owner with another value: an ID token with repository_id "6", repository_owner_id "1" satisfies both, and its pipeline would obtain both tenants' deployer credentials; tell them apart by a claim naming a repository or owner that both bind with different values (tenant "alice" binds repository_owner_id)`,
    ],
  },
  {
    name: "one repository, told apart only by a claim a token may carry as a list",
    files: {
      "tenants/alice.yaml": alice('ci:\n  boundClaims:\n    repository_id: "5"\n    environment: prod\n'),
      "tenants/bob.yaml": bob('ci:\n  boundClaims:\n    repository_id: "5"\n    environment: staging\n'),
    },
    expected: [
      `tenants/bob.yaml: ci.boundClaims: these claims bind the same repository_id "5" as tenant "alice"'s (tenants/alice.yaml: ci.boundClaims), and no claim naming a repository or owner with another value: an ID token with environment ["staging", "prod"] (a list: Vault matches any one element), repository_id "5" satisfies both, and its pipeline would obtain both tenants' deployer credentials; tell them apart by a claim naming a repository or owner that both bind with different values (tenant "alice" binds repository_id)`,
    ],
  },
  // environment mistakes are the environment's, reported on it once
  {
    name: "inverted default limits in the environment",
    files: {
      "environments/example.yaml": EXAMPLE_ENV.replace(
        "      cpu: 100m\n      memory: 128Mi",
        "      cpu: 900m\n      memory: 128Mi",
      ),
      "tenants/alice.yaml": alice(),
      "tenants/bob.yaml": bob(),
    },
    expected: [
      'environments/example.yaml: defaults.limits.defaultRequest.cpu: "900m" is above default.cpu "500m"; expected defaultRequest <= default <= max',
    ],
  },
  {
    name: "an empty reserved prefix",
    files: {
      "environments/example.yaml": EXAMPLE_ENV.replace("  prefixes:\n", '  prefixes:\n    - ""\n'),
      "tenants/alice.yaml": alice(),
    },
    expected: ["environments/example.yaml: reserved.prefixes[0]: an empty prefix would reserve every name"],
  },
  {
    name: "a CI admin variable that is not an environment variable name",
    files: {
      "environments/example.yaml": EXAMPLE_ENV.replace(
        "envVar: WOODPECKER_ADMIN",
        "envVar: WOODPECKER-ADMIN",
      ),
      "tenants/alice.yaml": alice(),
    },
    expected: [
      'environments/example.yaml: ci.admins.envVar: "WOODPECKER-ADMIN" is not an environment variable name',
    ],
  },
  {
    name: "an empty CI audience",
    files: {
      "environments/example.yaml": EXAMPLE_ENV.replace(
        "audience: https://vault.example.com",
        'audience: "  "',
      ),
      "tenants/alice.yaml": alice(),
    },
    expected: ["environments/example.yaml: ci.perTenant.audience: an audience cannot be empty"],
  },
  {
    // issue 25: the API server reads "-" as no prefix; bound verbatim, every subject would match nobody
    name: 'the API server\'s "no prefix" value "-" as the username prefix',
    files: {
      "environments/example.yaml": EXAMPLE_ENV.replace('usernamePrefix: "oidc:"', 'usernamePrefix: "-"'),
      "tenants/alice.yaml": alice(),
    },
    expected: [
      'environments/example.yaml: oidc.usernamePrefix: "-" is the API server\'s "no prefix" (--oidc-username-prefix=-): its usernames would be "alice@example.com" while the RBAC subjects bound here would be "-alice@example.com", matching nobody; write "" for no prefix',
    ],
  },
  {
    name: "two zones with one zone id",
    files: {
      "environments/example.yaml": EXAMPLE_ENV.replace(
        "example.org: fedcba9876543210fedcba9876543210",
        "example.org: 0123456789abcdef0123456789abcdef",
      ),
      "tenants/alice.yaml": alice(),
    },
    expected: [
      'environments/example.yaml: dns.zones.example.org: "0123456789abcdef0123456789abcdef" is also the id of zone "example.com"; each zone has its own id',
    ],
  },
  // platform namespaces derived from the environment
  {
    name: "a namespace the environment's network allowances name",
    files: {
      "environments/example.yaml": EXAMPLE_ENV.replace(
        "  extraEgress:\n",
        "  extraEgress:\n    - namespace: shared-db\n      ports:\n        - port: 5432\n",
      ),
      "tenants/mallory.yaml": tenant("m@example.com", "namespaces: [shared-db]\n"),
    },
    expected: [
      'tenants/mallory.yaml: namespaces[0]: "shared-db" is a reserved namespace (platform or system); choose another name',
    ],
  },
  // one typo does not hide a theft in the same file
  {
    name: "a typo and a stolen namespace in one file",
    files: {
      "tenants/alice.yaml": alice(),
      "tenants/mallory.yaml": tenant("m@example.com", "namespace: [x]\nnamespaces: [bob-prod]\n"),
      "tenants/bob.yaml": bob("namespaces: [bob-prod]\n"),
    },
    expected: [
      `tenants/mallory.yaml: namespace: unknown field "namespace"; did you mean "namespaces"? ${TENANT_FIELDS}`,
      'tenants/mallory.yaml: namespaces[0]: "bob-prod" is already owned by tenant "bob" (tenants/bob.yaml); a namespace has one owner',
    ],
  },
  // validation in one pass (issue 27): nothing surfaces only after another problem is fixed
  {
    name: "a bad namespace beside a stolen one in the same list",
    files: {
      "tenants/bob.yaml": bob("namespaces: [bob-prod]\n"),
      "tenants/mallory.yaml": tenant("m@example.com", "namespaces: [bob-prod, Bad_NS]\n"),
    },
    expected: [
      `tenants/mallory.yaml: namespaces[1]: "Bad_NS" ${NAMESPACE_RULE}`,
      'tenants/mallory.yaml: namespaces[0]: "bob-prod" is already owned by tenant "bob" (tenants/bob.yaml); a namespace has one owner',
    ],
  },
  {
    name: "a tier typo beside an unknown field",
    files: { "tenants/alice.yaml": alice("tier: standrad\ncolour: red\n") },
    expected: [
      `tenants/alice.yaml: colour: unknown field "colour" ${TENANT_FIELDS}`,
      'tenants/alice.yaml: tier: "standrad" is not a tier of environment "example" (tiers: standard, team)',
    ],
  },
  {
    name: "a zone apex claimed over other tenants' names",
    files: {
      "tenants/alice.yaml": alice("domains: [alice.example.org]\n"),
      "tenants/bob.yaml": bob("domains: [shop.example.org]\n"),
      "tenants/erin.yaml": tenant("erin@example.com", "domains: [example.org]\n"),
    },
    expected: [
      'tenants/erin.yaml: domains[0]: "example.org" is the apex of the zone "example.org"; tenants claim names inside a zone, not the zone',
    ],
  },
  {
    name: "quota requests above limits",
    files: {
      "tenants/alice.yaml": alice(
        "quota:\n  requests.memory: 4Gi\n  limits.memory: 1Gi\nnamespaces:\n  - name: alice\n    quota: {requests.cpu: '3', limits.cpu: '2'}\n",
      ),
    },
    expected: [
      `tenants/alice.yaml: namespaces[0].quota.requests.cpu: requests.cpu "3" is above limits.cpu "2": a container's request is at most its limit, so this requests.cpu can never be used; expected requests.cpu <= limits.cpu`,
      `tenants/alice.yaml: quota.requests.memory: requests.memory "4Gi" is above limits.memory "1Gi": a container's request is at most its limit, so this requests.memory can never be used; expected requests.memory <= limits.memory`,
    ],
  },
];

/** Hostile sources: links out of the registry, unbounded messages, control characters. */
const SOURCE_CASES: Case[] = [
  // reading outside the registry
  {
    name: "a tenant file that is a symbolic link to a secret outside the registry",
    files: { "tenants/bob.yaml": bob() },
    links: { "tenants/alice.yaml": "@outside/token" },
    expected: [`tenants/alice.yaml: ${SYMLINK}`],
  },
  {
    name: "a tenant file that is a symbolic link to another tenant's file",
    files: { "tenants/alice.yaml": alice() },
    links: { "tenants/carol.yaml": "alice.yaml" },
    expected: [`tenants/carol.yaml: ${SYMLINK}`],
  },
  {
    name: "a dangling symbolic link",
    files: { "tenants/bob.yaml": bob() },
    links: { "tenants/alice.yaml": "/nonexistent/tenancy/alice.yaml" },
    expected: [`tenants/alice.yaml: ${SYMLINK}`],
  },
  {
    name: "a symbolic link named like a tenant file to a directory outside",
    files: { "tenants/bob.yaml": bob() },
    links: { "tenants/alice.yaml": "@outside/registry" },
    expected: [`tenants/alice.yaml: ${SYMLINK}`],
  },
  {
    name: "the registry directory is a symbolic link to a directory outside",
    files: {},
    links: { tenants: "@outside/registry" },
    expected: [
      "tenants: is a symbolic link; links are not followed: name the real registry directory with --registry",
    ],
  },
  {
    name: "the registry directory, named with a trailing slash, is a symbolic link",
    files: {},
    links: { tenants: "@outside/registry" },
    args: ["--registry", "tenants/"],
    expected: [
      "tenants/: is a symbolic link; links are not followed: name the real registry directory with --registry",
    ],
  },
  {
    name: "a parent of the registry directory is a symbolic link to a directory outside",
    files: {},
    links: { config: "@outside/config" },
    args: ["--registry", "config/tenants"],
    expected: [
      "config: is a symbolic link; links are not followed: name the real registry directory with --registry",
    ],
  },
  {
    name: "the environment file is a symbolic link to a secret outside",
    files: { "tenants/alice.yaml": alice() },
    links: { "environments/example.yaml": "@outside/token" },
    expected: [`environments/example.yaml: ${SYMLINK}`],
  },
  {
    name: "the environment file is a symbolic link to another environment",
    files: { "tenants/alice.yaml": alice(), "environments/prod.yaml": EXAMPLE_ENV },
    links: { "environments/example.yaml": "prod.yaml" },
    expected: [`environments/example.yaml: ${SYMLINK}`],
  },
  {
    name: "a dangling environment link (refused as a link, not reported missing)",
    files: { "tenants/alice.yaml": alice() },
    links: { "environments/example.yaml": "/nonexistent/tenancy/example.yaml" },
    expected: [`environments/example.yaml: ${SYMLINK}`],
  },
  {
    name: "the environments directory is a symbolic link to a directory outside",
    files: { "tenants/alice.yaml": alice() },
    links: { environments: "@outside/environments" },
    expected: [
      "environments: is a symbolic link; links are not followed: environments/ must be a real directory where tenancy runs",
    ],
  },
  {
    // through the CLI: were the read to wait for a writer, a child process hangs, not the test process
    name: "a FIFO named like a tenant file (refused without waiting for a writer)",
    cli: true,
    files: { "tenants/bob.yaml": bob() },
    fifos: ["tenants/alice.yaml"],
    expected: ["tenants/alice.yaml: is not a file; expected a YAML file"],
  },
  // bounded messages
  {
    name: "a YAML syntax error whose parser message quotes a long line of the file",
    files: {
      "tenants/alice.yaml": alice(`note: ${longLine}
  text
`),
    },
    expected: [
      `tenants/alice.yaml: line 2, column 8: YAML syntax error: Block scalar header includes extra characters: ${longLine.slice(0, 70)}...`,
    ],
  },
  {
    name: "an environment file whose syntax error quotes a long line",
    files: {
      "environments/example.yaml": `note: ${longLine}
  text
`,
      "tenants/alice.yaml": alice(),
    },
    expected: [
      `environments/example.yaml: line 1, column 8: YAML syntax error: Block scalar header includes extra characters: ${longLine.slice(0, 70)}...`,
    ],
  },
  {
    name: "an unknown field with a 1000-character name",
    files: {
      "tenants/alice.yaml": alice(`${LONG_KEY}: 1
`),
    },
    expected: [
      `tenants/alice.yaml: ${"k".repeat(77)}...: unknown field "${"k".repeat(76)}... ${TENANT_FIELDS}`,
    ],
  },
  {
    name: "an unknown environment among 200 lists five of them (exit 2)",
    files: Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [
        `environments/env${String(i).padStart(3, "0")}.yaml`,
        EXAMPLE_ENV,
      ]),
    ),
    args: ["--env", "nope"],
    code: 2,
    expected: [
      // readdir order is the file system's; the count is what matters
      expect.stringMatching(
        /^tenancy: no environment "nope": environments\/nope\.yaml does not exist \(environments: (\w+, ){4}\w+ and 196 more\)$/,
      ) as unknown as string,
    ],
  },
  // control characters
  {
    name: "a file name with an ANSI escape sequence",
    cli: true,
    files: { "tenants/\u001b[31malice.yaml": alice() },
    expected: [
      `tenants/\\x1b[31malice.yaml: tenant id "\\u001b[31malice" (from the file name or key) ${TENANT_ID_RULE}`,
    ],
  },
  {
    name: "a file name with a newline that would forge a line of output",
    files: { "tenants/x\nall 3 tenants are valid.yaml": alice() },
    expected: [
      `tenants/x\\nall 3 tenants are valid.yaml: tenant id "x\\nall 3 tenants are valid" (from the file name or key) ${TENANT_ID_RULE}`,
    ],
  },
  {
    name: "a file name with a right-to-left override",
    files: { "tenants/alice\u202elmay.yaml": alice() },
    expected: [
      `tenants/alice\\u202elmay.yaml: tenant id "alice\\u202elmay" (from the file name or key) ${TENANT_ID_RULE}`,
    ],
  },
  {
    name: "a key with an ANSI sequence that would clear the screen",
    files: { "tenants/alice.yaml": alice('"\\e[2Jwiped": 1\n') },
    expected: [`tenants/alice.yaml: \\x1b[2Jwiped: unknown field "\\u001b[2Jwiped" ${TENANT_FIELDS}`],
  },
  {
    name: "an integer beyond 2^53, which would become another number",
    files: { "tenants/alice.yaml": alice("namespaces: [alice]\nquota:\n  pods: 9007199254740993\n") },
    expected: [
      "tenants/alice.yaml: quota.pods: 9007199254740993 is beyond the integers a number holds exactly (2^53); write a smaller one, or quote it if it is a name",
    ],
  },
  {
    name: "an unknown tag, which the YAML library would only warn of on stderr",
    files: { "tenants/alice.yaml": alice("namespaces: [alice]\ndisplayName: !evil Alice\n") },
    expected: ["tenants/alice.yaml: line 3, column 14: Unresolved tag: !evil"],
  },
  {
    name: "a key that is a list, which the YAML library would stringify with a warning",
    files: { "tenants/alice.yaml": alice("namespaces: [alice]\n? [a, b]\n: 1\n") },
    expected: ["tenants/alice.yaml: a key that is a list or a mapping; a key must be a plain word"],
  },
  {
    name: "files the registry would skip: an upper-case extension, another extension",
    files: {
      "tenants/alice.yaml": alice(),
      "tenants/mallory.YAML": tenant("mallory@example.com"),
      "tenants/notes.txt": "not a tenant\n",
    },
    expected: [
      "tenants/mallory.YAML: not a tenant file: tenant files are named <id>.yaml or <id>.yml (lowercase); rename it, or move it out of the registry directory",
      "tenants/notes.txt: not a tenant file: tenant files are named <id>.yaml or <id>.yml (lowercase); rename it, or move it out of the registry directory",
    ],
  },
  {
    name: "a key with a newline",
    files: { "tenants/alice.yaml": alice('"ok\\nforged": 1\n') },
    expected: [`tenants/alice.yaml: ok\\nforged: unknown field "ok\\nforged" ${TENANT_FIELDS}`],
  },
  {
    name: "a namespace with a C1 control (CSI)",
    files: { "tenants/alice.yaml": alice('namespaces: ["alice\\x9b31m"]\n') },
    expected: [`tenants/alice.yaml: namespaces[0]: "alice\\x9b31m" ${NAMESPACE_RULE}`],
  },
  {
    name: "a namespace with a Unicode line separator",
    files: { "tenants/alice.yaml": alice('namespaces: ["alice\\Lforged"]\n') },
    expected: [`tenants/alice.yaml: namespaces[0]: "alice\\u2028forged" ${NAMESPACE_RULE}`],
  },
  {
    name: "a namespace with DEL",
    files: { "tenants/alice.yaml": alice('namespaces: ["ali\\x7fce"]\n') },
    expected: [`tenants/alice.yaml: namespaces[0]: "ali\\x7fce" ${NAMESPACE_RULE}`],
  },
  {
    name: "a domain with a bidi isolate",
    files: { "tenants/alice.yaml": alice('domains: ["\\u2066evil.example.com"]\n') },
    expected: [
      'tenants/alice.yaml: domains[0]: "\\u2066evil.example.com" is not a valid hostname (lowercase RFC 1123 labels separated by dots, at most 253 characters)',
    ],
  },
  {
    name: "a duplicate key holding a terminal title sequence",
    files: { "tenants/alice.yaml": alice('"\\e]0;pwned\\a": 1\n"\\e]0;pwned\\a": 2\n') },
    expected: [
      'tenants/alice.yaml: \\x1b]0;pwned\\x07: line 3, column 1: duplicate key "\\u001b]0;pwned\\u0007"; a key may appear only once in a mapping',
    ],
  },
  {
    name: "an environment key with an ANSI sequence",
    files: {
      "environments/example.yaml": `"\\e[31mclusters": []\n${EXAMPLE_ENV}`,
      "tenants/alice.yaml": alice(),
    },
    expected: [
      `environments/example.yaml: \\x1b[31mclusters: unknown field "\\u001b[31mclusters" ${ENV_FIELDS}`,
    ],
  },
];

let root: string;
/** Each case's result: in this process, or through the CLI for the representative cases. */
const results = new Map<string, CliResult>();
/** The representative cases (except the FIFO, which must not be read here) run in this process as well. */
const inProcess = new Map<string, CliResult>();

/**
 * Writes a registry root: environments/example.yaml (the example's unless the case has its own), tenants/,
 * then the case's links and FIFOs (replacing what is there).
 */
function writeRegistry(
  dir: string,
  files: Record<string, string | Uint8Array>,
  extra: Pick<Case, "links" | "fifos"> = {},
): void {
  mkdirSync(join(dir, "tenants"), { recursive: true });
  const all = { "environments/example.yaml": EXAMPLE_ENV, ...files };
  for (const [path, content] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  for (const [path, target] of Object.entries(extra.links ?? {})) {
    rmSync(join(dir, path), { recursive: true, force: true });
    symlinkSync(target.replace(/^@outside\//, `${join(root, "outside")}/`), join(dir, path));
  }
  for (const path of extra.fifos ?? []) {
    const made = spawnSync("mkfifo", [join(dir, path)]);
    if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
  }
}

/**
 * Beside the case directories: a secret file, a registry directory and an environments directory that
 * links may point at. Their content would show in messages if a link were followed.
 */
function writeOutside(): void {
  const outside = join(root, "outside");
  mkdirSync(join(outside, "registry"), { recursive: true });
  mkdirSync(join(outside, "environments"), { recursive: true });
  writeFileSync(join(outside, "token"), `${OUTSIDE_SECRET}\n`);
  writeFileSync(join(outside, "registry", "leak.yaml"), `${OUTSIDE_SECRET}\n`);
  writeFileSync(join(outside, "registry", "alice.yaml"), `email: ${OUTSIDE_SECRET}\n`);
  writeFileSync(join(outside, "environments", "example.yaml"), `${OUTSIDE_SECRET}: [\n`);
  mkdirSync(join(outside, "config", "tenants"), { recursive: true });
  writeFileSync(join(outside, "config", "tenants", "alice.yaml"), `${OUTSIDE_SECRET}\n`);
}

async function runAll<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await run(item);
    }),
  );
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "tenancy-hostile-"));
  writeOutside();
  const all = [...CASES, ...SOURCE_CASES].map((c, i) => ({ c, dir: join(root, `case-${i}`) }));
  for (const { c, dir } of all) writeRegistry(dir, c.files, c);
  // the representative cases through the CLI, in child processes, while the others run here one by one
  const spawned = runAll(
    all.filter(({ c }) => c.cli),
    4,
    async ({ c, dir }) => {
      results.set(c.name, await runCliAsync(["validate", ...(c.args ?? [])], { cwd: dir }));
    },
  );
  try {
    for (const { c, dir } of all) {
      if (c.fifos) continue;
      const r = await validateInProcess(c.args ?? [], { cwd: dir });
      (c.cli ? inProcess : results).set(c.name, r);
    }
  } finally {
    await spawned;
  }
}, 180_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

const STACK_FRAME = /^\s+at /m;
const THROWN = /\b\w*Error:/;

/** The same exit code and lines in this process as through the CLI (stdout too, unless the summary of a success). */
function sameAsTheCli(local: CliResult | undefined, cli: CliResult | undefined): void {
  expect(local, "the case did not run in this process").toBeDefined();
  expect(cli, "the case did not run through the CLI").toBeDefined();
  expect(local!.code).toBe(cli!.code);
  expect(local!.stderr).toBe(cli!.stderr);
  if (cli!.code !== 0) expect(local!.stdout).toBe(cli!.stdout);
}

describe("tenancy validate on hostile registries", () => {
  it("has at least 25 cases, each with a distinct name", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it("runs a few representative cases through the CLI, and this process gives them the same", () => {
    const cli = [...CASES, ...SOURCE_CASES].filter((c) => c.cli);
    expect(cli.length).toBeGreaterThanOrEqual(3);
    expect(cli.length).toBeLessThanOrEqual(5);
    for (const c of cli.filter((c) => !c.fifos)) sameAsTheCli(inProcess.get(c.name), results.get(c.name));
  });

  it.each(CASES)("$name: exits 1 and says exactly what is wrong and where", (c) => {
    const r = results.get(c.name);
    expect(r, "the case did not run").toBeDefined();
    const { code, stdout, stderr } = r!;
    expect(stderr).not.toMatch(STACK_FRAME);
    expect(stderr).not.toMatch(THROWN);
    expect(stderr).not.toContain("internal error");
    expect(stdout).toBe("");
    expect(code, stderr).toBe(1);
    const lines = stderr.trimEnd().split("\n");
    const summary = lines.pop();
    // every problem exactly once, in order
    expect(lines).toEqual(c.expected);
    expect(summary).toMatch(/^\d+ problems? found; nothing was changed\.$/);
  });
});

describe("tenancy validate on hostile registry sources (links, long messages, control characters)", () => {
  it("has at least 25 cases, each with a distinct name", () => {
    expect(SOURCE_CASES.length).toBeGreaterThanOrEqual(25);
    const names = [...CASES, ...SOURCE_CASES].map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(SOURCE_CASES)("$name: exit code, exact lines, nothing from outside, nothing raw", (c) => {
    const r = results.get(c.name);
    expect(r, "the case did not run").toBeDefined();
    const { code, stdout, stderr } = r!;
    expect(stderr).not.toMatch(STACK_FRAME);
    expect(stderr).not.toMatch(THROWN);
    expect(stdout).toBe("");
    expect(code, stderr).toBe(c.code ?? 1);
    // neither the content nor the place of what a link points at
    expect(stderr).not.toContain(OUTSIDE_SECRET);
    expect(stderr).not.toContain(join(root, "outside"));
    // no control character but the line ends reaches the terminal
    expect(stderr).not.toMatch(
      /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/,
    );
    // and no line is longer than a bounded message
    expect(Math.max(...stderr.split("\n").map((l) => l.length))).toBeLessThan(1400);
    const lines = stderr.trimEnd().split("\n");
    if ((c.code ?? 1) === 1) {
      expect(lines.pop()).toMatch(/^\d+ problems? found; nothing was changed\.$/);
    }
    expect(lines).toEqual(c.expected);
  });
});

describe("tenancy validate --json on an invalid registry", () => {
  it("prints {ok: false, problems} on stdout, the problems on stderr, and exits 1", async () => {
    const dir = join(root, "json");
    writeRegistry(dir, {
      "tenants/alice.yaml": alice("namespaces: [alice, Alice-Dev]\n"),
      "tenants/bob.yaml": bob("members:\n  - tenant: mallory\n    role: viewer\n"),
    });
    const r = await validateInProcess(["--json"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: false,
      exitCode: 1,
      error: "InvalidInputError",
      problems: [
        {
          source: "tenants/alice.yaml",
          path: ["namespaces", 1],
          message: `"Alice-Dev" ${NAMESPACE_RULE}`,
        },
        {
          source: "tenants/bob.yaml",
          path: ["members", 0, "tenant"],
          message: '"mallory" is not a tenant of this registry',
        },
      ],
    });
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.stderr.trimEnd().split("\n")).toEqual([
      `tenants/alice.yaml: namespaces[1]: "Alice-Dev" ${NAMESPACE_RULE}`,
      'tenants/bob.yaml: members[0].tenant: "mallory" is not a tenant of this registry',
      "2 problems found; nothing was changed.",
    ]);
  });

  it("--registry points at a registry elsewhere, and a valid one exits 0", async () => {
    const dir = join(root, "valid");
    writeRegistry(dir, {
      "tenants/alice.yaml": alice(),
      "tenants/bob.yaml": bob("namespaces: [bob, bob-dev]\n"),
    });
    // cwd is the registry root (environments/ is read from there); --registry names the tenants directory
    const r = await runCliAsync(["validate", "--registry", join(dir, "tenants")], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(
      `valid: 2 tenants, 3 namespaces, 0 domains, 0 members; environment example, registry ${join(dir, "tenants")}`,
    );
  });
});

describe("one unreadable file does not hide the others' problems", () => {
  it("reports the broken YAML and the bad email of another file together, and a directory named x.yaml", async () => {
    const dir = join(root, "mixed");
    writeRegistry(dir, {
      "tenants/alice.yaml": "email: alice@example.com\nnamespaces: [alice\n",
      "tenants/bob.yaml": "email: not-an-email\nmembers:\n  - tenant: alice\n    role: viewer\n",
    });
    mkdirSync(join(dir, "tenants", "carol.yaml"));
    const r = await validateInProcess([], { cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines.some((l) => l.startsWith("tenants/alice.yaml: ") && l.includes("YAML syntax error"))).toBe(
      true,
    );
    expect(lines).toContain('tenants/bob.yaml: email: "not-an-email" is not a valid email address');
    expect(lines).toContain("tenants/carol.yaml: is not a file; expected a YAML file");
    // alice is unreadable but still a tenant: bob's invitation of alice is not reported as well
    expect(lines.filter((l) => l.includes("members"))).toEqual([]);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });
});

const TOKEN = "hvs.HOSTILE-token-never-printed-91c2";
const PASSWORD = "hunter2-never-printed";
const K8S_USERS = readFileSync(join(ROOT, "test", "fixtures", "vault", "k8s_users.json"), "utf8");
const PER_TENANT = ["--vault-layout", "per-tenant", "--vault-path", "tenants"];
const WITHHELD = "<not shown: it contains the value of VAULT_TOKEN>";
const KEY_RULE =
  "which is not a valid tenant id (lowercase RFC 1123 label, at most 63 characters); every secret under this prefix is named after its tenant id, so nothing was read";
const DEPTH = "is nested more than 64 levels deep; expected plain data";
const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
const listing = (keys: unknown): FaultRule => ({
  path: "secret/metadata/tenants/",
  respond: { body: JSON.stringify(envelope({ keys })) },
});

interface VaultContext {
  /** The fake Vault the CLI talks to. */
  vault: VaultServer;
  /** Another fake on another origin: a redirect target that must never be reached. */
  other: VaultServer;
  /** A loopback port nothing listens on. */
  closed: number;
}

interface VaultCase {
  name: string;
  /** The fake Vault's options; default: the single secret `platform` holding the legacy fixture. */
  vault?: (other: VaultServer) => Partial<VaultServerOptions>;
  /** Arguments after `validate --source vault`. */
  args?: string[];
  /** Environment on top of VAULT_ADDR (the fake), VAULT_TOKEN (TOKEN), VAULT_NAMESPACE (none). */
  env?: (ctx: VaultContext) => NodeJS.ProcessEnv;
  code: number;
  /** stderr's lines, exactly. */
  expected: (ctx: VaultContext) => string[];
  stdout?: string;
  /** Further checks after the run. */
  after?: (ctx: VaultContext) => void;
  /** Run through the real CLI in a child process: one of the few representative cases. */
  cli?: true;
}

const perTenantSecrets = {
  "tenants/alice": { email: "alice@example.com" },
  "tenants/bob": { email: "bob@example.com" },
};
const fails = (ctx: VaultContext, message: string) => [`tenancy: Vault at ${ctx.vault.url}: ${message}`];
const problems = (...lines: string[]) => [
  ...lines,
  `${lines.length} problem${lines.length === 1 ? "" : "s"} found; nothing was changed.`,
];
const noReadAfterTheList = ({ vault }: VaultContext) =>
  expect(vault.requests.map((r) => r.path)).toEqual(["secret/metadata/tenants/"]);

const VAULT_CASES: VaultCase[] = [
  // every fault kind
  {
    name: "Vault unreachable (connection refused)",
    env: ({ closed }) => ({ VAULT_ADDR: `http://127.0.0.1:${closed}`, VAULT_MAX_RETRIES: "0" }),
    code: 4,
    expected: ({ closed }) => [
      `tenancy: Vault at http://127.0.0.1:${closed}: reading secret/data/platform failed after 1 attempt: connection refused (ECONNREFUSED); check VAULT_ADDR and that Vault is reachable from here`,
    ],
  },
  {
    name: "permission denied (403)",
    vault: () => ({ faults: [{ respond: "forbidden" }] }),
    code: 4,
    expected: (ctx) =>
      fails(
        ctx,
        "permission denied reading secret/data/platform: check VAULT_TOKEN and its policy (Vault says: permission denied)",
      ),
  },
  {
    name: "the secret does not exist (404)",
    vault: () => ({ secrets: {} }),
    code: 4,
    expected: (ctx) =>
      fails(
        ctx,
        'secret/data/platform not found: no secret "platform" in the mount "secret", or "secret" is not a KV version 2 mount (check the mount and path)',
      ),
  },
  {
    name: "Vault is sealed (503)",
    vault: () => ({ faults: [{ respond: "sealed" }] }),
    code: 4,
    expected: (ctx) =>
      fails(ctx, "sealed (reading secret/data/platform); unseal it (vault operator unseal) and try again"),
  },
  {
    name: "HTTP 500 twice, then an answer (retried)",
    cli: true,
    vault: () => ({ faults: [{ times: 2, respond: { status: 500, errors: ["internal error"] } }] }),
    code: 0,
    expected: () => [],
    stdout: "valid: 4 tenants, 7 namespaces, 5 domains, 0 members; environment example, registry vault",
    after: ({ vault }) => expect(vault.count("secret/data/platform")).toBe(3),
  },
  {
    name: "no answer within VAULT_CLIENT_TIMEOUT",
    vault: () => ({ faults: [{ delayMs: 5000 }] }),
    env: () => ({ VAULT_CLIENT_TIMEOUT: "1", VAULT_MAX_RETRIES: "0" }),
    code: 4,
    expected: (ctx) =>
      fails(ctx, "reading secret/data/platform failed after 1 attempt: no answer within 1000 ms"),
  },
  {
    name: "a malformed JSON body",
    vault: () => ({ faults: [{ respond: "malformed" }] }),
    code: 4,
    expected: (ctx) =>
      fails(
        ctx,
        `reading secret/data/platform: the answer (HTTP 200) is not valid JSON: got "{\\"request_id\\":\\"0f0c\\",\\"data\\":{\\"data\\":{\\"k8s_users\\":\\"{\\\\\\"alice"`,
      ),
  },
  {
    name: "a redirect to another origin, which never gets the token",
    vault: (other) => ({ faults: [{ respond: { redirect: `${other.url}/v1/secret/data/platform` } }] }),
    code: 4,
    expected: (ctx) =>
      fails(
        ctx,
        `reading secret/data/platform: Vault answered HTTP 302, a redirect to "${ctx.other.url}/v1/secret/data/platform"; redirects are not followed, so that the token goes to VAULT_ADDR only: set VAULT_ADDR to the address that answers (the active node or the load balancer)`,
      ),
  },
  {
    name: "a redirect of the list (307) to another origin",
    vault: (other) => ({
      secrets: perTenantSecrets,
      faults: [{ respond: { redirect: `${other.url}/v1/secret/metadata/tenants/?list=true`, status: 307 } }],
    }),
    args: PER_TENANT,
    code: 4,
    expected: (ctx) =>
      fails(
        ctx,
        `listing secret/metadata/tenants/: Vault answered HTTP 307, a redirect to "${ctx.other.url}/v1/secret/metadata/tenants/?list=true"; redirects are not followed, so that the token goes to VAULT_ADDR only: set VAULT_ADDR to the address that answers (the active node or the load balancer)`,
      ),
  },
  // keys Vault lists
  {
    name: "listed keys that are not tenant ids: .., a slash, empty, %2e, uppercase, too long, control characters",
    vault: () => ({
      secrets: perTenantSecrets,
      faults: [
        listing([
          "alice",
          "../platform",
          "a/b",
          "",
          "%2e%2e",
          "Bob",
          "b".repeat(64),
          "bob\n\u001b[2J",
          "../",
          "bob",
        ]),
      ],
    }),
    args: PER_TENANT,
    code: 1,
    expected: () =>
      problems(
        ...[
          '"../platform"',
          '"a/b"',
          '""',
          '"%2e%2e"',
          '"Bob"',
          `"${"b".repeat(64)}"`,
          '"bob\\n\\u001b[2J"',
        ].map((key) => `vault:secret/tenants/: Vault lists the key ${key}, ${KEY_RULE}`),
      ),
    after: noReadAfterTheList,
  },
  {
    name: "a listed key that is a single dot-dot",
    vault: () => ({ secrets: perTenantSecrets, faults: [listing(["..", "alice"])] }),
    args: PER_TENANT,
    code: 1,
    expected: () => problems(`vault:secret/tenants/: Vault lists the key "..", ${KEY_RULE}`),
    after: noReadAfterTheList,
  },
  // duplicate keys and deep nesting
  {
    name: "a user listed twice in the single secret's JSON",
    vault: () => ({
      secrets: {
        platform: {
          k8s_users:
            '{"alice": {"email": "alice@example.com"}, "alice": {"email": "mallory@example.com", "role": "admin"}}',
        },
      },
    }),
    code: 1,
    expected: () =>
      problems(
        'vault:secret/platform#k8s_users: alice: duplicate key "alice"; a key may appear only once in an object',
      ),
  },
  {
    name: "a field twice inside a user's record",
    vault: () => ({
      secrets: {
        platform: { k8s_users: '{"bob": {"email": "bob@example.com", "role": "x", "role": "admin"}}' },
      },
    }),
    code: 1,
    expected: () =>
      problems(
        'vault:secret/platform#k8s_users: bob.role: duplicate key "role"; a key may appear only once in an object',
      ),
  },
  {
    name: "a field twice in a per-tenant secret's answer",
    vault: () => ({
      secrets: perTenantSecrets,
      faults: [
        {
          path: "secret/data/tenants/bob",
          respond: {
            body: '{"data": {"data": {"email": "bob@example.com", "email": "mallory@example.com"}}}',
          },
        },
      ],
    }),
    args: PER_TENANT,
    code: 1,
    expected: () =>
      problems(
        `vault:secret/tenants/bob: email: duplicate key "email"; a key may appear only once in an object (in Vault's answer to reading secret/data/tenants/bob)`,
      ),
  },
  {
    name: "100000 nested arrays in the single secret's JSON",
    vault: () => ({
      secrets: {
        platform: {
          k8s_users: `{"alice": {"email": "alice@example.com", "namespaces": ${nested(100_000)}}}`,
        },
      },
    }),
    code: 1,
    expected: () =>
      problems(`vault:secret/platform#k8s_users: alice.namespaces${"[0]".repeat(62)}: ${DEPTH}`),
  },
  {
    name: "100000 nested arrays in a per-tenant secret's answer",
    vault: () => ({
      secrets: perTenantSecrets,
      faults: [
        {
          path: "secret/data/tenants/alice",
          respond: { body: `{"data": {"data": {"email": "a@example.com", "quota": ${nested(100_000)}}}}` },
        },
      ],
    }),
    args: PER_TENANT,
    code: 1,
    expected: () =>
      problems(
        `vault:secret/tenants/alice: quota${"[0]".repeat(61)}: ${DEPTH} (in Vault's answer to reading secret/data/tenants/alice)`,
      ),
  },
  // the token and credentials
  {
    name: "Vault echoing the token in its error",
    vault: () => ({ faults: [{ respond: { status: 400, errors: [`token ${TOKEN} may not read this`] } }] }),
    code: 4,
    expected: (ctx) => fails(ctx, `reading secret/data/platform: HTTP 400 (Vault says: ${WITHHELD})`),
  },
  {
    name: "Vault echoing the token in a malformed body",
    vault: () => ({ faults: [{ respond: { body: `{"auth": {"client_token": "${TOKEN}"` } }] }),
    code: 4,
    expected: (ctx) =>
      fails(ctx, `reading secret/data/platform: the answer (HTTP 200) is not valid JSON: got ${WITHHELD}`),
  },
  {
    name: "a one-character token: Vault's text left out, the message not mangled",
    vault: () => ({ token: "a", faults: [{ respond: { status: 400, errors: ["a bad request"] } }] }),
    env: () => ({ VAULT_TOKEN: "a" }),
    code: 4,
    expected: (ctx) => fails(ctx, `reading secret/data/platform: HTTP 400 (Vault says: ${WITHHELD})`),
  },
  {
    name: "VAULT_ADDR with a user name and password (exit 2)",
    cli: true,
    env: ({ vault }) => ({ VAULT_ADDR: vault.url.replace("http://", `http://admin:${PASSWORD}@`) }),
    code: 2,
    expected: ({ vault }) => [
      `tenancy: VAULT_ADDR "${vault.url}" carries a user name or password before "@"; remove them (Vault authenticates with VAULT_TOKEN)`,
    ],
    after: ({ vault }) => expect(vault.requests).toEqual([]),
  },
  {
    name: "VAULT_ADDR with credentials and no scheme (exit 2)",
    env: () => ({ VAULT_ADDR: `admin:${PASSWORD}@vault.example.com:8200` }),
    code: 2,
    expected: () => [
      'tenancy: VAULT_ADDR "vault.example.com:8200" is not an http(s) URL; expected e.g. https://vault.example.com:8200',
    ],
  },
  // bounded lists and messages, escaped control characters
  {
    name: "a secret with 100000 keys but not the registry's",
    vault: () => ({
      secrets: { platform: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`key${i}`, "v"])) },
    }),
    code: 1,
    expected: () =>
      problems(
        'vault:secret/platform#k8s_users: the secret has no key "k8s_users" (its keys: key0, key1, key2, key3, key4 and 99995 more); expected "k8s_users" to hold the JSON registry mapping each user to their record',
      ),
  },
  {
    name: "a prefix holding 20000 folders and no tenant",
    vault: () => ({ faults: [listing(Array.from({ length: 20_000 }, (_, i) => `f${i}/`))] }),
    args: PER_TENANT,
    code: 4,
    expected: (ctx) =>
      fails(
        ctx,
        "no tenants found under secret/metadata/tenants/ (only folders: f0/, f1/, f2/, f3/, f4/ and 19995 more); refusing to load an empty registry (check the mount and path)",
      ),
  },
  {
    name: "a 100000-character error from Vault",
    vault: () => ({ faults: [{ respond: { status: 400, errors: ["e".repeat(100_000)] } }] }),
    code: 4,
    expected: (ctx) =>
      fails(ctx, `reading secret/data/platform: HTTP 400 (Vault says: ${"e".repeat(197)}...)`),
  },
  {
    name: "an error from Vault with an ANSI sequence and a newline",
    vault: () => ({ faults: [{ respond: { status: 400, errors: ["\u001b[2J\ntenancy: all good"] } }] }),
    code: 4,
    expected: (ctx) =>
      fails(ctx, "reading secret/data/platform: HTTP 400 (Vault says: \\x1b[2J\\ntenancy: all good)"),
  },
  {
    name: "a user key with an ANSI sequence in the single secret",
    vault: () => ({
      secrets: { platform: { k8s_users: JSON.stringify({ "bob\u001b[31m": { email: "bob@example.com" } }) } },
    }),
    code: 1,
    expected: () =>
      problems(
        `vault:secret/platform#k8s_users.bob\\x1b[31m: tenant id "bob\\u001b[31m" (from the file name or key) ${TENANT_ID_RULE}`,
      ),
  },
];

describe("tenancy validate --source vault against a hostile Vault", () => {
  type Run = { ctx: VaultContext; result: CliResult };
  /** Each case's run: in this process, or through the CLI for the representative cases. */
  const vaultResults = new Map<string, Run>();
  /** The representative cases run in this process as well, each against fake Vaults of its own. */
  const vaultInProcess = new Map<string, Run>();
  const servers: VaultServer[] = [];

  beforeAll(async () => {
    const closed = await closedPort();
    /** The case's fake Vaults and the environment the command runs with (the example registry root's). */
    const setUp = async (c: VaultCase) => {
      const other = await startVaultServer({ token: TOKEN, lifetimeMs: 120_000 });
      const vault = await startVaultServer({
        token: TOKEN,
        secrets: { platform: { k8s_users: K8S_USERS } },
        lifetimeMs: 120_000,
        ...c.vault?.(other),
      });
      servers.push(vault, other);
      const ctx = { vault, other, closed };
      const env = { VAULT_ADDR: vault.url, VAULT_TOKEN: TOKEN, VAULT_NAMESPACE: "", ...c.env?.(ctx) };
      return { ctx, env, args: ["--source", "vault", ...(c.args ?? [])] };
    };
    // the representative cases through the CLI, in child processes, while the others run here one by one
    const spawned = runAll(
      VAULT_CASES.filter((c) => c.cli),
      4,
      async (c) => {
        const { ctx, env, args } = await setUp(c);
        vaultResults.set(c.name, { ctx, result: await runCliAsync(["validate", ...args], { env }) });
      },
    );
    try {
      for (const c of VAULT_CASES) {
        const { ctx, env, args } = await setUp(c);
        const result = await validateInProcess(args, { cwd: EXAMPLE, env });
        (c.cli ? vaultInProcess : vaultResults).set(c.name, { ctx, result });
      }
    } finally {
      await spawned;
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it("has at least 20 cases, each with a distinct name", () => {
    expect(VAULT_CASES.length).toBeGreaterThanOrEqual(20);
    expect(new Set(VAULT_CASES.map((c) => c.name)).size).toBe(VAULT_CASES.length);
  });

  it("runs a few representative cases through the CLI, and this process gives them the same", () => {
    const cli = VAULT_CASES.filter((c) => c.cli);
    expect(cli.length).toBeGreaterThanOrEqual(1);
    for (const c of cli) {
      const [local, run] = [vaultInProcess.get(c.name), vaultResults.get(c.name)];
      // the fake Vault's address is each run's own: compare with it written the same way
      const same = (r: Run | undefined) =>
        r && {
          ...r.result,
          stderr: r.result.stderr.replaceAll(r.ctx.vault.url, "<vault>"),
        };
      sameAsTheCli(same(local), same(run));
      // and this process's run passes the case's checks too
      c.after?.(local!.ctx);
      expect(local!.result.stderr === "" ? [] : local!.result.stderr.trimEnd().split("\n")).toEqual(
        c.expected(local!.ctx),
      );
    }
  });

  it.each(VAULT_CASES)("$name: exit $code, exact message, no token, no password", (c) => {
    const run = vaultResults.get(c.name);
    expect(run, "the case did not run").toBeDefined();
    const { ctx, result } = run!;
    const { code, stdout, stderr } = result;
    expect(stderr).not.toMatch(STACK_FRAME);
    expect(stderr).not.toMatch(THROWN);
    expect(code, stderr).toBe(c.code);
    expect(stdout.trim()).toBe(c.stdout ?? "");
    expect(stderr === "" ? [] : stderr.trimEnd().split("\n")).toEqual(c.expected(ctx));
    for (const out of [stdout, stderr]) {
      expect(out).not.toContain(TOKEN);
      expect(out).not.toContain(PASSWORD);
      expect(out).not.toMatch(
        /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/,
      );
    }
    expect(Math.max(...stderr.split("\n").map((l) => l.length))).toBeLessThan(4200);
    // the other origin never sees a request, so never the token
    expect(ctx.other.requests).toEqual([]);
    c.after?.(ctx);
  });
});
