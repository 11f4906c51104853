/**
 * The loopback Kubernetes API server, driven only through the real @kubernetes/client-node (1.x: object-style
 * parameters on the typed APIs, positional ones on KubernetesObjectApi; errors are ApiException with `code`
 * and `body`, the body being the Status as JSON text).
 */
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  V1MicroTime,
  type KubernetesObject,
  type V1Lease,
} from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type KubeObject, type KubeServer, startKubeServer } from "./kube-server";

let server: KubeServer;
let kube: KubernetesObjectApi;

beforeEach(async () => {
  server = await startKubeServer({
    kinds: [
      { group: "example.com", version: "v1alpha1", kind: "Widget", plural: "widgets", namespaced: true },
    ],
  });
  kube = KubernetesObjectApi.makeApiClient(server.kubeConfig());
});
afterEach(() => server.close());

interface Failure {
  code: number;
  status: { reason?: string; message?: string; code?: number; details?: { causes?: unknown[] } };
}

/** The ApiException a call fails with: its code and the Status it carries (JSON text in client-node 1.x). */
async function failure(call: Promise<unknown>): Promise<Failure> {
  try {
    await call;
  } catch (e) {
    if (!(e instanceof ApiException)) throw e;
    const body: unknown = e.body;
    return {
      code: e.code,
      status: (typeof body === "string" ? JSON.parse(body) : (body ?? {})) as Failure["status"],
    };
  }
  throw new Error("the call succeeded");
}

const configMap = (
  name: string,
  namespace: string,
  data: Record<string, string> = {},
  labels?: Record<string, string>,
) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace, ...(labels && { labels }) },
  data,
});
/** A manifest as client-node types it, with any other fields. */
type Manifest = KubernetesObject & { [field: string]: unknown };
const ns = (name: string): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });

describe("KubernetesObjectApi against the loopback server", () => {
  it("creates, reads, lists in pages, replaces (409 when stale) and deletes", async () => {
    await kube.create(ns("team-a"));
    for (let i = 1; i <= 5; i++)
      await kube.create(configMap(`cm-${i}`, "team-a", { n: String(i) }, { parity: i % 2 ? "odd" : "even" }));

    const read = await kube.read({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cm-1", namespace: "team-a" },
    });
    expect(read.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(read.metadata?.creationTimestamp).toBeInstanceOf(Date); // client-node turns metav1.Time into Date
    // no fieldManager: the manager is the User-Agent's first part, and client-node 1.x sends node-fetch's
    expect(read.metadata?.managedFields?.map((m) => [m.manager, m.operation, m.fieldsV1])).toEqual([
      ["node-fetch", "Update", { "f:data": { "f:n": {} }, "f:metadata": { "f:labels": { "f:parity": {} } } }],
    ]);

    const names: string[] = [];
    const pages: number[] = [];
    let token: string | undefined;
    do {
      const page = await kube.list(
        "v1",
        "ConfigMap",
        "team-a",
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        2,
        token,
      );
      names.push(...page.items.map((o) => o.metadata!.name!));
      pages.push(page.items.length);
      token = page.metadata?._continue; // a typed list's ListMeta: `continue` is `_continue` in client-node
    } while (token);
    expect(pages).toEqual([2, 2, 1]);
    expect(names).toEqual(["cm-1", "cm-2", "cm-3", "cm-4", "cm-5"]);
    const limits = server.requests.filter(
      (r) => r.method === "GET" && r.path === "/api/v1/namespaces/team-a/configmaps",
    );
    expect(limits.map((r) => [r.query.limit, Boolean(r.query.continue)])).toEqual([
      ["2", false],
      ["2", true],
      ["2", true],
    ]);

    const odd = await kube.list(
      "v1",
      "ConfigMap",
      "team-a",
      undefined,
      undefined,
      undefined,
      undefined,
      "parity=odd",
    );
    expect(odd.items.map((o) => o.metadata!.name)).toEqual(["cm-1", "cm-3", "cm-5"]);
    expect(odd.items[0]!.kind).toBeUndefined(); // a built-in kind's list items carry no kind, as from the API server

    const replaced = await kube.replace({ ...read, data: { n: "one" } });
    expect(Number(replaced.metadata!.resourceVersion)).toBeGreaterThan(
      Number(read.metadata!.resourceVersion),
    );
    const stale = await failure(kube.replace({ ...read, data: { n: "uno" } }));
    expect(stale.code).toBe(409);
    expect(stale.status).toMatchObject({ reason: "Conflict", code: 409 });
    expect(stale.status.message).toContain('Operation cannot be fulfilled on configmaps "cm-1"');
    expect(server.get("v1", "ConfigMap", "cm-1", "team-a")?.data).toEqual({ n: "one" });

    const deleted = await kube.delete({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cm-2", namespace: "team-a" },
    });
    expect(deleted.status).toBe("Success");
    const gone = await failure(
      kube.read({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm-2", namespace: "team-a" } }),
    );
    expect(gone).toEqual({
      code: 404,
      status: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: 'configmaps "cm-2" not found',
        reason: "NotFound",
        details: { name: "cm-2", kind: "configmaps" },
        code: 404,
      },
    });
    // discovery was asked once per apiVersion (KubernetesObjectApi caches it)
    expect(server.requests.filter((r) => r.path === "/api/v1").length).toBe(1);
  });

  it("answers AlreadyExists, and 404 for a namespace that does not exist", async () => {
    await kube.create(configMap("settings", "default"));
    const again = await failure(kube.create(configMap("settings", "default")));
    expect([again.code, again.status.reason, again.status.message]).toEqual([
      409,
      "AlreadyExists",
      'configmaps "settings" already exists',
    ]);
    const orphan = await failure(kube.create(configMap("settings", "nowhere")));
    expect([orphan.code, orphan.status.reason, orphan.status.message]).toEqual([
      404,
      "NotFound",
      'namespaces "nowhere" not found',
    ]);
  });

  it("lists a namespaced kind across all namespaces", async () => {
    server.seed(ns("team-a"), "tenancy");
    server.seed(ns("team-b"), "tenancy");
    server.seed(configMap("b", "team-b"), "tenancy");
    server.seed(configMap("a", "team-a"), "tenancy");
    const all = await kube.list("v1", "ConfigMap");
    expect(all.items.map((o) => `${o.metadata!.namespace}/${o.metadata!.name}`)).toEqual([
      "team-a/a",
      "team-b/b",
    ]);
    const typed = await server.kubeConfig().makeApiClient(CoreV1Api).listConfigMapForAllNamespaces();
    expect(typed.items.map((o) => o.metadata!.name)).toEqual(["a", "b"]);
    expect(server.requests.filter((r) => r.path === "/api/v1/configmaps").length).toBe(2);
  });

  it("serves custom resources from opts.kinds, and discovery for their group", async () => {
    const widget = {
      apiVersion: "example.com/v1alpha1",
      kind: "Widget",
      metadata: { name: "w", namespace: "default" },
      spec: { size: 3 },
    };
    await kube.create(widget);
    const list = await kube.list<Manifest>("example.com/v1alpha1", "Widget", "default");
    expect(list.items.map((o) => [o.kind, o.spec])).toEqual([["Widget", { size: 3 }]]); // unstructured: kind kept
    // a custom resource's update must name the resourceVersion (AllowUnconditionalUpdate false)
    const bare = await failure(kube.replace({ ...widget, spec: { size: 4 } }));
    expect([bare.code, bare.status.reason]).toEqual([422, "Invalid"]);
    expect(server.requests.some((r) => r.path === "/apis/example.com/v1alpha1")).toBe(true);
    // client-node's default patch is a strategic merge patch, which a custom resource refuses
    const strategic = await failure(kube.patch({ ...widget, spec: { size: 5 } }));
    expect([strategic.code, strategic.status.reason]).toEqual([415, "UnsupportedMediaType"]);
  });

  it("takes a merge patch, moving the changed fields to its manager", async () => {
    server.seed(configMap("cfg", "default", { a: "1", b: "2" }), "helm");
    const patched = await kube.patch<Manifest>(
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "cfg", namespace: "default" },
        data: { b: "3" },
      },
      undefined,
      undefined,
      "tenancy",
      undefined,
      PatchStrategy.MergePatch,
    );
    expect(patched.data).toEqual({ a: "1", b: "3" });
    // the default (strategic merge) patch is taken as a merge patch for a built-in kind
    const strategic = await kube.patch<Manifest>({ ...configMap("cfg", "default"), data: { c: "4" } });
    expect(strategic.data).toEqual({ a: "1", b: "3", c: "4" });
    expect(patched.metadata?.managedFields?.map((m) => [m.manager, m.fieldsV1])).toEqual([
      ["helm", { "f:data": { "f:a": {} } }],
      ["tenancy", { "f:data": { "f:b": {} } }],
    ]);
  });
});

describe("server-side apply", () => {
  const quota = (hard: Record<string, string>, labels?: Record<string, string>): KubeObject => ({
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: { name: "quota", namespace: "team-a", ...(labels && { labels }) },
    spec: { hard },
  });
  const apply = (obj: KubeObject, force?: boolean) =>
    kube.patch<Manifest>(
      obj,
      undefined,
      undefined,
      "pulumi-kubernetes-abc",
      force,
      PatchStrategy.ServerSideApply,
    );
  const owners = () =>
    Object.fromEntries(
      (
        server.get("v1", "ResourceQuota", "quota", "team-a")!.metadata.managedFields as {
          manager: string;
          operation: string;
          fieldsV1: unknown;
        }[]
      ).map((m) => [`${m.manager} ${m.operation}`, m.fieldsV1]),
    );

  beforeEach(() => {
    server.seed(ns("team-a"), "tenancy");
    server.seed(quota({ pods: "10", "requests.cpu": "4" }, { team: "a" }), "kubectl-client-side-apply");
  });

  it("refuses a conflicting apply with the causes, then moves the fields with force", async () => {
    const conflict = await failure(apply(quota({ pods: "20", "requests.cpu": "4" }, { team: "a" })));
    expect(conflict.code).toBe(409);
    expect(conflict.status.reason).toBe("Conflict");
    expect(conflict.status.message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .spec.hard.pods',
    );
    expect(conflict.status.details?.causes).toEqual([
      {
        reason: "FieldManagerConflict",
        message: 'conflict with "kubectl-client-side-apply" using v1',
        field: ".spec.hard.pods",
      },
    ]);
    expect(server.get("v1", "ResourceQuota", "quota", "team-a")!.spec).toEqual({
      hard: { pods: "10", "requests.cpu": "4" },
    });

    const two = await failure(apply(quota({ pods: "20", "requests.cpu": "8" }, { team: "b" })));
    expect(two.status.details?.causes).toHaveLength(3);
    expect(two.status.message).toBe(
      'Apply failed with 3 conflicts: conflicts with "kubectl-client-side-apply" using v1:\n' +
        "- .metadata.labels.team\n- .spec.hard.pods\n- .spec.hard.requests.cpu",
    );

    const forced = await apply(quota({ pods: "20", "requests.cpu": "4" }, { team: "a" }), true);
    expect(forced.spec).toEqual({
      hard: { pods: "20", "requests.cpu": "4" },
    });
    expect(server.requests.at(-1)?.query).toMatchObject({
      fieldManager: "pulumi-kubernetes-abc",
      force: "true",
    });
    // pods moved to the applier; the same values (requests.cpu, the label) are shared
    expect(owners()).toEqual({
      "kubectl-client-side-apply Update": {
        "f:metadata": { "f:labels": { "f:team": {} } },
        "f:spec": { "f:hard": { "f:requests.cpu": {} } },
      },
      "pulumi-kubernetes-abc Apply": {
        "f:metadata": { "f:labels": { "f:team": {} } },
        "f:spec": { "f:hard": { "f:pods": {}, "f:requests.cpu": {} } },
      },
    });
    // the managedFields as the client sees them
    expect(
      forced.metadata?.managedFields?.map((m) => [m.manager, m.operation, m.apiVersion, m.fieldsType]),
    ).toEqual([
      ["kubectl-client-side-apply", "Update", "v1", "FieldsV1"],
      ["pulumi-kubernetes-abc", "Apply", "v1", "FieldsV1"],
    ]);
  });

  it("removes the fields an applier omits unless another manager owns them", async () => {
    await apply(quota({ pods: "10", "requests.cpu": "4", secrets: "5" }, { team: "a" }));
    await apply(quota({ pods: "10" }));
    // secrets was the applier's alone: gone; requests.cpu and the label are still kubectl's
    expect(server.get("v1", "ResourceQuota", "quota", "team-a")!).toMatchObject({
      metadata: { labels: { team: "a" } },
      spec: { hard: { pods: "10", "requests.cpu": "4" } },
    });
    expect(owners()["pulumi-kubernetes-abc Apply"]).toEqual({ "f:spec": { "f:hard": { "f:pods": {} } } });
  });

  it("creates a missing object, and wants a fieldManager", async () => {
    const created = await kube.patch<Manifest>(
      { ...quota({ pods: "1" }), metadata: { name: "other", namespace: "team-a" } },
      undefined,
      undefined,
      "tenancy",
      undefined,
      PatchStrategy.ServerSideApply,
    );
    expect(created.metadata?.managedFields?.map((m) => [m.manager, m.operation])).toEqual([
      ["tenancy", "Apply"],
    ]);
    const nameless = await failure(
      kube.patch(
        quota({ pods: "1" }),
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.ServerSideApply,
      ),
    );
    expect([nameless.code, nameless.status.reason]).toEqual([422, "Invalid"]);
  });
});

describe("a Lease through CoordinationV1Api", () => {
  it("is created, renewed, and refused when stale or with a millisecond time", async () => {
    server.seed(ns("tenancy-system"), "tenancy");
    const leases = server.kubeConfig().makeApiClient(CoordinationV1Api);
    const at = { name: "env-prod", namespace: "tenancy-system" };
    expect((await failure(leases.readNamespacedLease(at))).code).toBe(404);

    const acquired = new V1MicroTime();
    const spec = {
      holderIdentity: "alice",
      leaseDurationSeconds: 60,
      acquireTime: acquired,
      renewTime: acquired,
    };
    const created = await leases.createNamespacedLease({
      namespace: at.namespace,
      body: { metadata: { name: at.name }, spec },
    });
    expect(created.spec?.holderIdentity).toBe("alice");
    // V1MicroTime writes six fractional digits; reading back, client-node leaves a MicroTime as the string
    expect(created.spec?.renewTime as unknown).toMatch(/\.\d{6}Z$/);

    const read = await leases.readNamespacedLease(at);
    const renewal: V1Lease = {
      ...read,
      spec: { ...read.spec, renewTime: new V1MicroTime(Date.now() + 1000) },
    };
    const renewed = await leases.replaceNamespacedLease({ ...at, body: renewal });
    expect(Number(renewed.metadata!.resourceVersion)).toBeGreaterThan(Number(read.metadata!.resourceVersion));
    expect(renewed.spec?.acquireTime).toEqual(read.spec?.acquireTime);

    // a second holder renewing from the stale read loses
    const stale = await failure(
      leases.replaceNamespacedLease({
        ...at,
        body: { ...read, spec: { ...read.spec, holderIdentity: "bob" } },
      }),
    );
    expect([stale.code, stale.status.reason]).toEqual([409, "Conflict"]);
    // a plain Date (3 fractional digits) is refused by the API server's MicroTime decoding
    const millis = { ...renewed, spec: { ...renewed.spec, renewTime: new Date() } };
    const refused = await failure(leases.replaceNamespacedLease({ ...at, body: millis }));
    expect([refused.code, refused.status.reason]).toEqual([400, "BadRequest"]);
    expect(refused.status.message).toMatch(/cannot parse "\.\d{3}Z" as "\.000000"/);

    expect(server.get("coordination.k8s.io/v1", "Lease", at.name, at.namespace)?.spec).toMatchObject({
      holderIdentity: "alice",
    });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toContain(
      "PUT /apis/coordination.k8s.io/v1/namespaces/tenancy-system/leases/env-prod",
    );
  });
});

describe("faults and authentication", () => {
  it("answers an injected 500 for the first matching request only", async () => {
    server.fail({ method: "GET", path: /\/leases\/env$/, status: 500, times: 1 });
    const leases = server.kubeConfig().makeApiClient(CoordinationV1Api);
    const first = await failure(leases.readNamespacedLease({ name: "env", namespace: "default" }));
    expect([first.code, first.status.reason]).toEqual([500, "InternalError"]);
    const second = await failure(leases.readNamespacedLease({ name: "env", namespace: "default" }));
    expect(second.code).toBe(404);
  });

  it("refuses a request without the bearer token with 401", async () => {
    const wrong = server.kubeConfig("loopback", { token: "not-the-token" }).makeApiClient(CoreV1Api);
    const refused = await failure(wrong.readNamespace({ name: "default" }));
    expect(refused.code).toBe(401); // the typed APIs drop a 401's body
    const ok = await server.kubeConfig().makeApiClient(CoreV1Api).readNamespace({ name: "default" });
    expect(ok.metadata?.labels).toEqual({ "kubernetes.io/metadata.name": "default" });
  });
});
