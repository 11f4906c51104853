/**
 * `tenancy check-roles` against the loopback Kubernetes API server (test/helpers/kube-server.ts; the real client,
 * loopback only), once per fixture of Kubernetes' bootstrap admin/edit/view roles (test/fixtures/bootstrap-roles,
 * where they come from: its README): 1.30 to 1.34 hold nothing beyond what a namespace owner may, a pre-1.22
 * cluster's edit role writes Endpoints (CVE-2021-25740), and a CRD's aggregated role is reported where it
 * reaches a cluster-scoped kind or the platform's fences.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  MANAGER_RULES,
  aggregateLabel,
  namespaceRoleAggregation,
} from "../../components/members/aggregation";
import { NAMESPACE_ROLE_FOR } from "../../components/members/rbac";
import type { RolesReport } from "../../deploy/check-roles";
import { ROOT, runCliAsync } from "../helpers/cli";
import { type KubeObject, type KubeServer, startKubeServer } from "../helpers/kube-server";

const FIXTURES = join(ROOT, "test", "fixtures", "bootstrap-roles");
const fixture = (version: string): KubeObject[] =>
  (parse(readFileSync(join(FIXTURES, `v${version}.yaml`), "utf8")) as { items: KubeObject[] }).items.map(
    // `rules: null` on an aggregated role: the controller fills them in; the server keeps none
    ({ rules, ...o }) => (rules === null ? o : { ...o, rules }) as KubeObject,
  );
/** tenancy's namespace roles as the platform layer makes them: aggregation only, and the manager's RoleBinding writes. */
const tenancyRoles = (): KubeObject[] => [
  ...(["owner", "manager", "developer", "viewer"] as const).map((role) => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: NAMESPACE_ROLE_FOR[role], labels: { "app.kubernetes.io/managed-by": "tenancy" } },
    aggregationRule: namespaceRoleAggregation(role),
  })),
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: {
      name: `${NAMESPACE_ROLE_FOR.manager}-rolebindings`,
      labels: { "app.kubernetes.io/managed-by": "tenancy", ...aggregateLabel("manager") },
    },
    rules: MANAGER_RULES,
  },
];

let server: KubeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A loopback cluster holding these ClusterRoles, and a kubeconfig file for it. */
async function clusterWith(roles: KubeObject[]): Promise<string> {
  server = await startKubeServer();
  for (const r of roles) server.seed(r, "kube-apiserver");
  const file = join(mkdtempSync(join(tmpdir(), "check-roles-")), "kubeconfig");
  writeFileSync(file, server.kubeConfig("loopback").exportConfig());
  return file;
}
async function checkRoles(kubeconfig: string, json = true) {
  const r = await runCliAsync([
    "check-roles",
    "--kubeconfig",
    kubeconfig,
    "--context",
    "loopback",
    ...(json ? ["--json"] : []),
  ]);
  return {
    ...r,
    report: json && r.stdout ? (JSON.parse(r.stdout) as { ok: boolean; reports: RolesReport[] }) : undefined,
  };
}

describe("tenancy check-roles", () => {
  it.each(["1.30", "1.31", "1.32", "1.33", "1.34"])(
    "Kubernetes %s: admin, edit, view and tenancy's roles hold nothing beyond what a namespace owner may",
    async (version) => {
      const r = await checkRoles(await clusterWith([...fixture(version), ...tenancyRoles()]));
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.report!.ok).toBe(true);
      const [report] = r.report!.reports;
      expect(report!.roles.every((x) => x.present)).toBe(true);
      expect(report!.findings).toEqual([]);
      // and exactly Kubernetes' own, as components/members/aggregation.ts writes it out
      expect(report!.extras).toEqual([]);
    },
  );

  it("a pre-1.22 cluster (1.21): the edit role's Endpoints writes, in every role aggregating it (exit 7)", async () => {
    const kubeconfig = await clusterWith([...fixture("1.21"), ...tenancyRoles()]);
    const r = await checkRoles(kubeconfig);
    expect(r.code).toBe(7);
    expect(r.report!.ok).toBe(false);
    expect(r.report!.reports[0]!.findings).toEqual([
      {
        roles: [
          "admin",
          "edit",
          NAMESPACE_ROLE_FOR.owner,
          NAMESPACE_ROLE_FOR.manager,
          NAMESPACE_ROLE_FOR.developer,
        ],
        source: "system:aggregate-to-edit",
        apiGroup: "",
        resource: "endpoints",
        verbs: ["create", "delete", "deletecollection", "patch", "update"],
        why: expect.stringMatching(/writes what the platform owns/) as string,
      },
    ]);
    // the human form names it too
    const text = await checkRoles(kubeconfig, false);
    expect(text.code).toBe(7);
    expect(text.stdout).toContain(
      `beyond: endpoints [create, delete, deletecollection, patch, update] from system:aggregate-to-edit (in admin, edit, ${NAMESPACE_ROLE_FOR.owner}, ${NAMESPACE_ROLE_FOR.manager}, ${NAMESPACE_ROLE_FOR.developer})`,
    );
  });

  it("a CRD's aggregated roles: its namespaced kinds listed, a cluster-scoped kind and the platform's fences found", async () => {
    const crdRole = (name: string, labels: string[], rules: unknown[]): KubeObject => ({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: {
        name,
        labels: Object.fromEntries(
          labels.map((l) => [`rbac.authorization.k8s.io/aggregate-to-${l}`, "true"]),
        ),
      },
      rules,
    });
    const write = ["create", "delete", "patch", "update"];
    const roles = [
      ...fixture("1.30"),
      ...tenancyRoles(),
      // as cert-manager's chart aggregates its kinds (deploy/charts/cert-manager/templates/rbac.yaml)
      crdRole(
        "cert-manager-edit",
        ["admin", "edit"],
        [
          {
            apiGroups: ["cert-manager.io"],
            resources: ["certificates", "certificaterequests", "issuers"],
            verbs: write,
          },
        ],
      ),
      // a chart reaching too far
      crdRole(
        "acme-operator-admin",
        ["admin"],
        [
          { apiGroups: ["cert-manager.io"], resources: ["clusterissuers"], verbs: ["create"] },
          { apiGroups: [""], resources: ["resourcequotas"], verbs: ["update"] },
          { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles"], verbs: ["escalate"] },
        ],
      ),
    ];
    const r = await checkRoles(await clusterWith(roles));
    expect(r.code).toBe(7);
    const report = r.report!.reports[0]!;
    const owner = ["admin", NAMESPACE_ROLE_FOR.owner];
    expect(report.findings.map((f) => [f.source, f.apiGroup, f.resource, f.roles, f.why])).toEqual([
      ["acme-operator-admin", "cert-manager.io", "clusterissuers", owner, "a cluster-scoped resource"],
      [
        "acme-operator-admin",
        "",
        "resourcequotas",
        owner,
        expect.stringMatching(/writes what the platform owns/),
      ],
      ["acme-operator-admin", "rbac.authorization.k8s.io", "roles", owner, "grants escalate"],
    ]);
    expect(report.extras.map((e) => `${e.source} ${e.apiGroup}/${e.resource} ${e.roles.join(",")}`)).toEqual([
      `cert-manager-edit cert-manager.io/certificates admin,edit,${NAMESPACE_ROLE_FOR.owner},${NAMESPACE_ROLE_FOR.manager},${NAMESPACE_ROLE_FOR.developer}`,
      `cert-manager-edit cert-manager.io/certificaterequests admin,edit,${NAMESPACE_ROLE_FOR.owner},${NAMESPACE_ROLE_FOR.manager},${NAMESPACE_ROLE_FOR.developer}`,
      `cert-manager-edit cert-manager.io/issuers admin,edit,${NAMESPACE_ROLE_FOR.owner},${NAMESPACE_ROLE_FOR.manager},${NAMESPACE_ROLE_FOR.developer}`,
    ]);
  });

  it("usage: --kubeconfig needs --context; an unknown context is a usage error", async () => {
    const file = await clusterWith(fixture("1.30"));
    expect((await runCliAsync(["check-roles", "--kubeconfig", file])).code).toBe(2);
    const r = await runCliAsync(["check-roles", "--kubeconfig", file, "--context", "nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("kubeconfig context nope not found");
    // without tenancy's roles (a cluster before the platform layer): said, not a finding
    const text = await checkRoles(file, false);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`not in the cluster: ${Object.values(NAMESPACE_ROLE_FOR).join(", ")}`);
    expect(text.stdout).toContain("every grant is within what a namespace owner may hold");
  });

  it("an unreachable API server is an external failure (exit 4), not a finding", async () => {
    const file = await clusterWith([]);
    await server!.close();
    server = undefined;
    const r = await checkRoles(file);
    expect(r.code).toBe(4);
    expect(r.report).toMatchObject({ ok: false, exitCode: 4 });
  });
});
