/**
 * Every Kubernetes object the plan of the example registry would create is valid against the Kubernetes
 * schema (kubernetes-models) and the API server's name and label rules; and the validator does reject
 * broken objects, so this test can fail.
 */
import { LAYERS } from "../../stacks/layers";
import { beforeAll, describe, expect, it } from "vitest";
import { type Plan, buildPlan } from "../../plan/plan";
import { KNOWN_KINDS, validateK8sObject } from "../helpers/k8s-schema";
import { findObject, isKubernetesObject, loadExample, platformStack } from "./registries";

let plan: Plan;
beforeAll(async () => {
  plan = await buildPlan(await loadExample(), LAYERS);
});

/** The validator's verdict: undefined when valid, else its message. */
function problem(obj: unknown): string | undefined {
  try {
    validateK8sObject(obj);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

describe("Kubernetes objects of the example plan", () => {
  it("all validate against the Kubernetes schema, in every layer", () => {
    const objects = plan.stacks.flatMap((s) => s.resources.filter(isKubernetesObject));
    const failures = objects.flatMap((r) => {
      const p = problem(r.inputs);
      return p === undefined ? [] : [`${r.type} ${r.name}: ${p}`];
    });
    expect(failures).toEqual([]);
    // nothing shaped like a Kubernetes object hides under another type token
    const shaped = plan.stacks.flatMap((s) =>
      s.resources.filter((r) => "apiVersion" in r.inputs && "kind" in r.inputs),
    );
    expect(shaped).toEqual(objects);
  });

  it("cover everything the platform layer makes", () => {
    const objects = platformStack(plan).resources.filter(isKubernetesObject);
    expect(new Set(objects.map((r) => r.type))).toEqual(
      new Set([
        "kubernetes:core/v1:Namespace",
        "kubernetes:core/v1:ConfigMap",
        "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
        "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
        "kubernetes:cert-manager.io/v1:Certificate",
        "kubernetes:core/v1:ResourceQuota",
        "kubernetes:core/v1:LimitRange",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
      ]),
    );
    // main: 6 namespaces x 10 objects, 3 certificates, 9 shared ClusterRoles (2 of them role bundles),
    // 9 RoleBindings, 2 ClusterRoleBindings (bob's and carol's roles: alice's tier has no clusterReader), 8
    // admission policies and their 8 bindings; eu-gpu: alice-dev (10), the 9 roles, 16 admission objects, 3
    // RoleBindings (owner, bob, gpu-jobs grant), 1 ClusterRoleBinding (the node-viewer grant); us-east: bob-prod
    // (10 and its certificate), the 9 roles, 16 admission objects, 2 RoleBindings (owner, carol), bob's
    // ClusterRoleBinding
    const per = (c: string) => objects.filter((r) => r.cluster === c).length;
    expect([per("main"), per("eu-gpu"), per("us-east")]).toEqual([99, 39, 39]);
    expect(objects.length).toBe(177);
    const rest = platformStack(plan).resources.filter((r) => !isKubernetesObject(r));
    expect(rest.map((r) => `${r.type} ${r.cluster}`)).toEqual([
      "pulumi:providers:kubernetes eu-gpu",
      "pulumi:providers:kubernetes main",
      "pulumi:providers:kubernetes us-east",
    ]);
  });

  it("each object's apiVersion and kind are those of its Pulumi type token", () => {
    for (const r of plan.stacks.flatMap((s) => s.resources.filter(isKubernetesObject))) {
      const [, groupVersion, kind] = r.type.split(":");
      const apiVersion = groupVersion!.replace(/^core\//, "");
      expect({ apiVersion: r.inputs.apiVersion, kind: r.inputs.kind }, r.name).toEqual({ apiVersion, kind });
    }
  });
});

describe("the validator", () => {
  const resources = () => platformStack(plan).resources.filter((r) => r.cluster === "main");
  /** A planned object, deep-copied so it can be broken. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const planned = (kind: string, name: string): any =>
    structuredClone(findObject(resources(), kind, name).inputs);

  it("accepts the planned objects it is then shown broken", () => {
    for (const [kind, name] of [
      ["ResourceQuota", "bob-prod/tenant-quota"],
      ["NetworkPolicy", "alice/tenancy-dns-egress"],
      ["RoleBinding", "bob-staging/tenant-member-alice"],
      ["ClusterRole", "tenancy-power-user"],
      ["Namespace", "carol"],
    ] as const)
      expect(problem(planned(kind, name))).toBeUndefined();
  });

  it("rejects a quantity that is not a quantity", () => {
    const quota = planned("ResourceQuota", "bob-prod/tenant-quota");
    quota.spec.hard.pods = "forty";
    expect(problem(quota)).toMatch(
      /^ResourceQuota bob-prod\/tenant-quota: .*spec\/hard\/pods must match format "quantity"/,
    );
  });

  it("rejects a missing required field and a wrongly typed one", () => {
    const netpol = planned("NetworkPolicy", "alice/tenancy-dns-egress");
    delete netpol.spec.podSelector;
    expect(problem(netpol)).toMatch(/spec must have required property podSelector/);
    const binding = planned("RoleBinding", "bob-staging/tenant-member-alice");
    delete binding.subjects[0].kind;
    expect(problem(binding)).toMatch(/subjects\/0 must have required property kind/);
    const role = planned("ClusterRole", "tenancy-power-user");
    role.rules[0].verbs = "get";
    expect(problem(role)).toMatch(/rules\/0\/verbs must be array/);
  });

  it("rejects unknown top-level and metadata fields, which kubernetes-models lets through", () => {
    const role = planned("ClusterRole", "tenancy-power-user");
    role.rule = role.rules;
    expect(problem(role)).toMatch(/unknown field "rule" for a ClusterRole/);
    const ns = planned("Namespace", "carol");
    ns.metadata.label = { a: "b" };
    expect(problem(ns)).toMatch(/unknown field "metadata.label"/);
    const binding = planned("RoleBinding", "bob-staging/tenant-member-alice");
    binding.spec = {};
    expect(problem(binding)).toMatch(/unknown field "spec" for a RoleBinding/);
  });

  it("rejects names and labels the API server would refuse, and a namespace on a cluster-scoped object", () => {
    const ns = planned("Namespace", "carol");
    ns.metadata.name = "Carol_NS";
    expect(problem(ns)).toMatch(/metadata.name "Carol_NS" is not an RFC 1123 label/);
    const quota = planned("ResourceQuota", "bob-prod/tenant-quota");
    quota.metadata.labels["tenancy.io/tenant"] = "bob/prod";
    expect(problem(quota)).toMatch(
      /label "tenancy.io\/tenant": value "bob\/prod" is not a valid label value/,
    );
    const role = planned("ClusterRole", "tenancy-power-user");
    role.metadata.namespace = "bob-prod";
    expect(problem(role)).toMatch(/a ClusterRole is cluster-scoped but has metadata.namespace/);
  });

  it("throws for an apiVersion/kind it does not know, so nothing escapes validation", () => {
    expect(
      problem({
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: "x" },
        spec: {},
      }),
    ).toMatch(/^gateway.networking.k8s.io\/v1\/HTTPRoute: unknown apiVersion\/kind/);
    // a Certificate is judged by cert-manager's CRD schema: one without its required fields is refused
    expect(
      problem({
        apiVersion: "cert-manager.io/v1",
        kind: "Certificate",
        metadata: { name: "x", namespace: "a" },
        spec: {},
      }),
    ).toMatch(
      /spec must have required property issuerRef, data\/spec must have required property secretName/,
    );
    expect(problem({ apiVersion: "v1", kind: "Namespaces", metadata: { name: "x" } })).toMatch(/unknown/);
    expect(problem({ apiVersion: "v2", kind: "Namespace", metadata: { name: "x" } })).toMatch(/unknown/);
    expect(problem("kind: Namespace")).toMatch(/not a Kubernetes object/);
    expect(KNOWN_KINDS).toContain("v1/Namespace");
  });
});
