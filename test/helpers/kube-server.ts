/**
 * A local stand-in for the Kubernetes API server (127.0.0.1, random port), for testing code that talks to a
 * cluster through the real `@kubernetes/client-node`: discovery, get, list (equality label selectors, limit and
 * continue), create, replace, JSON merge patch, server-side apply with field ownership and conflicts, delete.
 * Every write keeps `metadata.managedFields` as the API server does, so "who manages this field" can be tested.
 * Each modelled rule names its upstream source: the API concepts and conventions
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/), server-side apply ("SSA docs",
 * https://kubernetes.io/docs/reference/using-api/server-side-apply/) or k8s.io/apiserver's code.
 * Not modelled: watch, subresources (status, scale), deletecollection, dryRun, generateName, finalizers and
 * graceful deletion (a delete is immediate; a namespace's takes its objects at once), defaulting and schema
 * validation, JSON patch, strategic merge patch's merge keys (taken as a merge patch), set-based label selectors,
 * field selectors, list snapshots (a continue token reads the current state), no-op writes (each one bumps
 * `resourceVersion`), `k:`/`v:` list-item ownership (a list is owned whole, like an atomic list) and `"."` entries.
 * Fault rules answer a Status of any code to the first N matching requests. It never keeps the process alive.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { listenOnLoopback } from "./loopback";
import { KubeConfig } from "@kubernetes/client-node";
import { parse as parseYaml } from "yaml";

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface KindInfo {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

export interface KubeServerOptions {
  /** More kinds, served as custom resources, besides the built-in ones. */
  kinds?: KindInfo[];
  /** The bearer token every request must carry (kubeConfig's user has it); default a random one; false: none. */
  token?: string | false;
  /** The namespaces there from the start; default a new cluster's (default, kube-system, ...). */
  namespaces?: string[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

export interface FaultRule {
  method?: string;
  /** Tested against the URL path, e.g. `/^\/apis\/coordination\.k8s\.io\//`. */
  path: RegExp;
  status: number;
  /** Only the first `times` matching requests fail; default: every one. */
  times?: number;
}

type Obj = Record<string, unknown>;
type Path = string[];
/** A kind as served: custom resources (not `builtin`) differ from built-in kinds in a few rules below. */
type Kind = KindInfo & { builtin: boolean };
/** A managedFields entry being worked on, its fields a set of JSON-encoded paths. */
type Manager = { manager: string; operation: "Apply" | "Update"; time: string; fields: Set<string> };
/** A request on a resource: its kind, namespace and name from the path, its query, body and headers. */
type Call = { kind: Kind; namespace?: string; query: Query; body: string; type: string; agent?: string };
type Query = Record<string, string>;
type Prev = KubeObject | undefined;

/** A plural as k8s.io/apimachinery's meta.UnsafeGuessKindToResource guesses it (right for every kind below). */
const plural = (kind: string) => `${kind.toLowerCase().replace(/y$/, "ie").replace(/s$/, "se")}s`;
const BUILTIN: Kind[] = (
  [
    ["", false, "Namespace"],
    ["", true, "ResourceQuota LimitRange Secret ConfigMap ServiceAccount Service PersistentVolumeClaim"],
    ["rbac.authorization.k8s.io", true, "Role RoleBinding"],
    ["rbac.authorization.k8s.io", false, "ClusterRole ClusterRoleBinding"],
    ["networking.k8s.io", true, "NetworkPolicy Ingress"],
    ["coordination.k8s.io", true, "Lease"],
    ["admissionregistration.k8s.io", false, "ValidatingAdmissionPolicy ValidatingAdmissionPolicyBinding"],
    ["apps", true, "Deployment"],
    ["cert-manager.io", true, "Certificate Issuer"],
    ["cert-manager.io", false, "ClusterIssuer"],
  ] as const
).flatMap(([group, namespaced, kinds]) => {
  const builtin = group !== "cert-manager.io"; // cert-manager's kinds are custom resources
  return kinds
    .split(" ")
    .map((kind) => ({ group, version: "v1", kind, plural: plural(kind), namespaced, builtin }));
});
/** The verbs served here (a real server also lists deletecollection and watch). */
const VERBS = ["create", "delete", "get", "list", "patch", "update"];
/** metav1.StatusReason by code (k8s.io/apimachinery/pkg/api/errors). */
const REASONS = new Map(
  Object.entries({
    BadRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    MethodNotAllowed: 405,
    Conflict: 409,
    UnsupportedMediaType: 415,
    Invalid: 422,
    TooManyRequests: 429,
    InternalError: 500,
    ServiceUnavailable: 503,
  }).map(([reason, code]) => [code, reason]),
);
/** The metadata the server sets, never in a manager's fields (SSA docs, "Field management"). */
const SYSTEM_METADATA = ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp"];
SYSTEM_METADATA.push("deletionTimestamp", "managedFields");
const MISSING = "the server could not find the requested resource";
const STATUS = { kind: "Status", apiVersion: "v1", metadata: {} };

class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly details?: Obj,
    readonly reason = REASONS.get(code) ?? "Unknown",
  ) {
    super(message);
  }
  /** Every error answers a metav1.Status (API conventions, "Response Status Kind"). */
  status(): Obj {
    const { code, message, reason, details } = this;
    return { ...STATUS, status: "Failure", message, reason, details, code };
  }
}
const err = (code: number, message: string, details?: Obj, reason?: string) =>
  new ApiError(code, message, details, reason);

export class KubeServer {
  readonly requests: RecordedRequest[] = [];
  private readonly kinds: Kind[];
  private readonly objects = new Map<string, KubeObject>();
  private readonly faults: (FaultRule & { hits: number })[] = [];
  private readonly token: string | undefined;
  private rv = 1000;
  private address = "";
  private readonly server: Server = createServer((req, res) => void this.handle(req, res));

  constructor(opts: KubeServerOptions = {}) {
    this.kinds = [...BUILTIN, ...(opts.kinds ?? []).map((kind) => ({ ...kind, builtin: false }))];
    this.token = opts.token === false ? undefined : (opts.token ?? randomBytes(16).toString("hex"));
    for (const name of opts.namespaces ?? ["default", "kube-system", "kube-public", "kube-node-lease"])
      this.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name } }, "kube-apiserver");
  }

  /** http://127.0.0.1:<port> */
  get url(): string {
    return this.address;
  }

  async listen(): Promise<this> {
    this.address = await listenOnLoopback(this.server);
    return this;
  }

  /** A KubeConfig for this server: one cluster, a user with the bearer token (or `opts.token`), one context. */
  kubeConfig(context = "loopback", opts: { namespace?: string; token?: string } = {}): KubeConfig {
    const kc = new KubeConfig();
    const token = opts.token ?? this.token;
    kc.loadFromOptions({
      // client-node 1.x refuses an http:// server unless skipTLSVerify is set (config.js createAgent)
      clusters: [{ name: "loopback", server: this.url, skipTLSVerify: true }],
      users: [{ name: "loopback", ...(token === undefined ? {} : { token }) }],
      contexts: [{ name: context, cluster: "loopback", user: "loopback", namespace: opts.namespace }],
      currentContext: context,
    });
    return kc;
  }

  /** Stores `obj` as if `manager` had written it: an Update (create or replace) or a forced Apply. */
  seed(obj: KubeObject, manager: string, operation: "Apply" | "Update" = "Update"): KubeObject {
    const kind = this.kindOf(obj.apiVersion, obj.kind);
    const body = clone(obj);
    this.checkBody({ kind, namespace: obj.metadata.namespace, query: {}, body: "", type: "" }, body);
    const prev = this.objects.get(keyOf(kind, body.metadata.namespace, body.metadata.name));
    if (operation === "Apply") return this.commit(kind, prev, this.applied(kind, prev, body, manager, true));
    return this.commit(kind, prev, this.updated(prev, body, manager));
  }

  get(apiVersion: string, kind: string, name: string, namespace?: string): KubeObject | undefined {
    const o = this.objects.get(keyOf(this.kindOf(apiVersion, kind), namespace, name));
    return o && clone(o);
  }

  /** Every object of a kind, in every namespace, in the API server's order (namespace, then name). */
  list(apiVersion: string, kind: string): KubeObject[] {
    return this.select(this.kindOf(apiVersion, kind), undefined).map(([, o]) => clone(o));
  }

  fail(rule: FaultRule): void {
    this.faults.push({ ...rule, hits: 0 });
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private kindOf(apiVersion: string, kind: string): Kind {
    const found = this.kinds.find((k) => gv(k) === apiVersion && k.kind === kind);
    if (!found) throw new Error(`kube-server: unknown kind ${apiVersion} ${kind}`);
    return found;
  }

  private select(kind: Kind, namespace: string | undefined): [string, KubeObject][] {
    const prefix = `${kind.group}/${kind.plural}/${namespace === undefined ? "" : `${namespace}/`}`;
    return [...this.objects].filter(([key]) => key.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : 1));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://kube");
    const method = req.method ?? "GET";
    this.requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams) });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      const matches = (f: FaultRule) => (f.method ?? method) === method && f.path.test(url.pathname);
      const fault = this.faults.find((f) => matches(f) && f.hits < (f.times ?? Infinity));
      if (fault) {
        fault.hits++;
        throw err(fault.status, `injected fault (${REASONS.get(fault.status) ?? fault.status})`);
      }
      // authentication comes first: no or a wrong token is 401 (API reference, "Authenticating")
      if (this.token !== undefined && req.headers.authorization !== `Bearer ${this.token}`)
        throw err(401, "Unauthorized");
      const [code, out] = this.route(method, url, Buffer.concat(chunks).toString("utf8"), req);
      send(res, code, out);
    } catch (e) {
      const error = e instanceof ApiError ? e : err(500, `Internal error occurred: ${String(e)}`);
      send(res, error.code, error.status());
    }
  }

  private route(method: string, url: URL, body: string, req: IncomingMessage): [number, unknown] {
    const segs = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const [root, ...more] = segs;
    const [group, version, ...rest] = root === "api" ? ["", ...more] : root === "apis" ? more : [];
    const served = this.kinds.filter((k) => k.group === group && k.version === version);
    const apiGroup = (name: string) => {
      const versions = [...new Set(this.kinds.filter((k) => k.group === name).map((k) => k.version))];
      const all = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
      return { name, versions: all, preferredVersion: all[0] };
    };
    // discovery as the API server serves it: /api, /apis, then /api/v1 and /apis/<group>/<version> below
    // (API concepts, "Discovery API"; an APIResourceList of the core group has no apiVersion)
    if (method === "GET" && segs.length === 1 && root === "api")
      return [200, { kind: "APIVersions", versions: ["v1"] }];
    if (method === "GET" && segs.length === 1 && root === "apis") {
      const groups = [...new Set(this.kinds.map((k) => k.group).filter(Boolean))].map(apiGroup);
      return [200, { kind: "APIGroupList", apiVersion: "v1", groups }];
    }
    if (served.length === 0) throw err(404, MISSING);
    if (rest.length === 0 && method === "GET") {
      const resources = served.map((k) => ({
        name: k.plural,
        kind: k.kind,
        namespaced: k.namespaced,
        verbs: VERBS,
      }));
      const list = {
        kind: "APIResourceList",
        apiVersion: group ? "v1" : undefined,
        groupVersion: gv(served[0]!),
      };
      return [200, { ...list, resources }];
    }
    // namespaces/<ns>/<plural>[/<name>] for a namespaced kind, <plural>[/<name>] for a cluster-scoped one, and
    // <plural> to list a namespaced kind in all namespaces (API concepts, "Resource URIs")
    const inNamespace = rest[0] === "namespaces" && rest.length >= 3;
    const [plural, name, ...sub] = inNamespace ? rest.slice(2) : rest;
    const kind = served.find((k) => k.plural === plural);
    if (!kind || sub.length > 0 || (inNamespace ? !kind.namespaced : kind.namespaced && name !== undefined))
      throw err(404, MISSING);
    if (url.searchParams.has("watch")) throw err(400, "kube-server: watch is not modelled");
    const query = Object.fromEntries(url.searchParams);
    const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim();
    const agent = req.headers["user-agent"];
    const c: Call = { kind, namespace: inNamespace ? rest[1] : undefined, query, body, type, agent };
    if (method === "GET") return [200, name === undefined ? this.listOf(c) : this.found(c, name)];
    if (method === "POST" && name === undefined && (c.namespace !== undefined || !kind.namespaced))
      return [201, this.create(c, decode(c))];
    if (method === "PUT" && name !== undefined) return this.replace(c, name);
    if (method === "PATCH" && name !== undefined) return this.patch(c, name);
    if (method === "DELETE" && name !== undefined) return [200, this.remove(c, name)];
    throw err(405, "the server does not allow this method on the requested resource");
  }

  private found(c: Call, name: string): KubeObject {
    const o = this.objects.get(keyOf(c.kind, c.namespace, name));
    if (!o) throw notFound(c.kind, name);
    return clone(o);
  }

  private listOf(c: Call): Obj {
    const matches = labelSelector(c.query.labelSelector ?? "");
    const all = this.select(c.kind, c.namespace).filter(([, o]) => matches((o.metadata.labels ?? {}) as Obj));
    // limit and continue (API concepts, "Retrieving large results sets in chunks"): the token is opaque; the
    // real one is base64 JSON {"v":"meta.k8s.io/v1","rv":...,"start":<the last key>}, like this one
    let from = 0;
    if (c.query.continue) {
      const start = parseToken(c.query.continue);
      if (start === undefined)
        throw err(400, "continue key is not valid: incorrect encoded start resourceVersion");
      from = all.findIndex(([key]) => key > start);
      if (from < 0) from = all.length;
    }
    const limit = Number(c.query.limit ?? "0");
    const page = all.slice(from, limit > 0 ? from + limit : undefined);
    const remaining = all.length - from - page.length;
    const metadata: Obj = { resourceVersion: String(this.rv) };
    if (remaining > 0) {
      const token = { v: "meta.k8s.io/v1", rv: this.rv, start: page[page.length - 1]![0] };
      metadata.continue = Buffer.from(JSON.stringify(token)).toString("base64");
      if (!c.query.labelSelector) metadata.remainingItemCount = remaining;
    }
    // a built-in kind's list items have no apiVersion and kind (the typed list is converted without them); a
    // custom resource's list is unstructured and keeps them
    const items = page.map(([, { apiVersion, kind, ...o }]) =>
      clone(c.kind.builtin ? o : { apiVersion, kind, ...o }),
    );
    return { kind: `${c.kind.kind}List`, apiVersion: gv(c.kind), metadata, items };
  }

  private create(c: Call, body: KubeObject): KubeObject {
    this.checkBody(c, body);
    const { name } = body.metadata;
    if (this.objects.has(keyOf(c.kind, c.namespace, name)))
      throw err(409, `${resource(c.kind)} "${name}" already exists`, details(c.kind, name), "AlreadyExists");
    return this.commit(c.kind, undefined, this.updated(undefined, body, managerOf(c)));
  }

  private replace(c: Call, name: string): [number, KubeObject] {
    const body = decode(c);
    this.checkBody(c, body, name);
    const prev = this.objects.get(keyOf(c.kind, c.namespace, name));
    // a PUT to a missing object is 404, unless the kind's strategy allows create on update (Lease:
    // pkg/registry/coordination/lease/strategy.go AllowCreateOnUpdate)
    if (!prev && isLease(c.kind)) return [201, this.create(c, body)];
    if (!prev) throw notFound(c.kind, name);
    // an update without resourceVersion is unconditional, unless the strategy forbids it (Lease and custom
    // resources: AllowUnconditionalUpdate false; apiserver registry/generic/registry/store.go Update)
    if (!body.metadata.resourceVersion && (isLease(c.kind) || !c.kind.builtin)) {
      const field = "metadata.resourceVersion: Invalid value: 0x0: must be specified for an update";
      throw err(422, `${resource(c.kind)} "${name}" is invalid: ${field}`);
    }
    this.checkVersion(c.kind, prev, body);
    return [200, this.commit(c.kind, prev, this.updated(prev, body, managerOf(c)))];
  }

  private patch(c: Call, name: string): [number, KubeObject] {
    const prev = this.objects.get(keyOf(c.kind, c.namespace, name));
    if (c.type === "application/apply-patch+yaml") {
      // an apply needs a fieldManager (PatchOptions validation) and creates a missing object (SSA docs)
      if (!c.query.fieldManager) {
        const field = "fieldManager: Required value: is required for apply patch";
        throw err(422, `PatchOptions.meta.k8s.io "" is invalid: ${field}`);
      }
      const applied = decode(c);
      this.checkBody(c, applied, name);
      if (prev) this.checkVersion(c.kind, prev, applied);
      const next = this.applied(c.kind, prev, applied, c.query.fieldManager, c.query.force === "true");
      return [prev ? 200 : 201, this.commit(c.kind, prev, next)];
    }
    if (c.query.force !== undefined)
      throw err(422, "force: Forbidden: may not be specified for non-apply patch");
    // a strategic merge patch (client-node's default in KubernetesObjectApi.patch) is taken as a merge patch for a
    // built-in kind; a custom resource refuses it with 415 as the API server does
    const strategic = c.type === "application/strategic-merge-patch+json" && c.kind.builtin;
    if (c.type !== "application/merge-patch+json" && !strategic)
      throw err(
        415,
        `the body of the request was in an unknown format - accepted media types include: ${PATCHES}`,
      );
    if (!prev) throw notFound(c.kind, name);
    const next = mergePatch(prev, decode(c, false)) as KubeObject;
    this.checkVersion(c.kind, prev, next);
    return [200, this.commit(c.kind, prev, this.updated(prev, next, managerOf(c)))];
  }

  private remove(c: Call, name: string): Obj {
    const o = this.found(c, name);
    this.objects.delete(keyOf(c.kind, c.namespace, name));
    if (c.kind.kind === "Namespace")
      for (const [key, other] of this.objects)
        if (other.metadata.namespace === name) this.objects.delete(key);
    // a finished delete answers a Success Status naming the resource (registry/generic/registry/store.go)
    const status = { ...details(c.kind, name), uid: o.metadata.uid };
    return { ...STATUS, status: "Success", details: status };
  }

  /** A body's apiVersion, kind, name (and the URL's), namespace (the URL's, and existing: 404 if not). */
  private checkBody(c: Call, body: KubeObject, name?: string): void {
    const { kind } = c;
    // a body without apiVersion and kind is taken as the URL's kind, as the API server's decoder defaults them
    body.apiVersion ??= gv(kind);
    body.kind ??= kind.kind;
    const { apiVersion, kind: k, metadata } = body;
    if (apiVersion !== gv(kind) || k !== kind.kind)
      throw err(400, `${apiVersion} ${k} is not ${gv(kind)} ${kind.kind}`);
    const required = "metadata.name: Required value: name or generateName is required";
    if (!metadata.name) throw err(422, `${kind.kind} "" is invalid: ${required}`);
    const url = `the name of the object (${metadata.name}) does not match the name on the URL (${name})`;
    if (name !== undefined && metadata.name !== name) throw err(400, url);
    if (!kind.namespaced) return void delete body.metadata.namespace; // cluster-scoped: the server drops it
    if ((body.metadata.namespace ??= c.namespace) !== c.namespace)
      throw err(400, "the namespace of the provided object does not match the namespace sent on the request");
    const namespaces = this.kindOf("v1", "Namespace");
    if (!this.objects.has(keyOf(namespaces, undefined, c.namespace ?? "")))
      throw notFound(namespaces, c.namespace ?? "");
  }

  /** Optimistic concurrency: a stale resourceVersion is 409 Conflict (API concepts, "Resource versions"). */
  private checkVersion(kind: Kind, prev: KubeObject, body: KubeObject): void {
    const { resourceVersion } = body.metadata;
    if (resourceVersion && resourceVersion !== prev.metadata.resourceVersion) {
      const { name } = prev.metadata;
      const why =
        "the object has been modified; please apply your changes to the latest version and try again";
      throw err(
        409,
        `Operation cannot be fulfilled on ${resource(kind)} "${name}": ${why}`,
        details(kind, name),
      );
    }
  }

  /** An Update (create, replace, non-apply patch) takes every field it changes, from anyone (SSA docs,
   * "Field management"). */
  private updated(prev: Prev, next: KubeObject, manager: string): KubeObject {
    labelNamespace(next);
    const managers = prev ? readManagers(prev) : [];
    const changed = leaves(next).filter((p) => !prev || !equal(at(prev, p), at(next, p)));
    for (const m of managers) for (const p of changed) m.fields.delete(JSON.stringify(p));
    const mine = managerEntry(managers, manager, "Update");
    if (changed.length > 0) mine.time = now();
    for (const p of changed) mine.fields.add(JSON.stringify(p));
    return writeManagers(next, managers);
  }

  /** A server-side apply by `manager` (SSA docs, "Conflicts" and "Merge strategy"). */
  private applied(kind: Kind, prev: Prev, applied: KubeObject, manager: string, force: boolean) {
    const { name, namespace } = applied.metadata;
    const next = prev
      ? clone(prev)
      : { apiVersion: gv(kind), kind: kind.kind, metadata: { name, namespace } };
    const managers = prev ? readManagers(prev) : [];
    const mine = managerEntry(managers, manager, "Apply");
    const paths = leaves(applied);
    // a conflict: a field applied with a value other than the object's, owned by another manager (even an Update
    // entry of the same name: a manager's identity includes its operation); the same value is shared ownership
    const conflicts: { path: Path; m: Manager }[] = [];
    for (const path of paths)
      for (const m of managers)
        if (m !== mine && owns(m, path) && !equal(at(next, path), at(applied, path)))
          conflicts.push({ path, m });
    if (conflicts.length > 0 && !force) throw conflictError(conflicts, gv(kind));
    // forced, the conflicting fields move to the applier (SSA docs, "Conflicts")
    for (const { path, m } of conflicts)
      for (const f of m.fields) if (overlaps(asPath(f), path)) m.fields.delete(f);
    for (const path of paths) put(next, path, clone(at(applied, path)));
    labelNamespace(next);
    // a field applied before and omitted now is no longer the applier's, and is removed unless someone else owns
    // it (SSA docs, "Merge strategy")
    const kept = new Set(paths.map((p) => JSON.stringify(p)));
    const ownedElsewhere = (f: string) => managers.some((m) => m !== mine && m.fields.has(f));
    for (const f of mine.fields) if (!kept.has(f) && !ownedElsewhere(f)) drop(next, asPath(f));
    mine.fields = kept;
    mine.time = now();
    return writeManagers(next, managers);
  }

  /** Stores a written object with what the server sets (API conventions, "Metadata"). */
  private commit(kind: Kind, prev: Prev, next: KubeObject): KubeObject {
    const meta = next.metadata;
    meta.uid = prev?.metadata.uid ?? randomUUID();
    meta.creationTimestamp = prev?.metadata.creationTimestamp ?? now();
    // Lease times are MicroTime, decoded with the fixed layout RFC3339Micro (metav1.MicroTime.UnmarshalJSON): a
    // JavaScript Date's 3-digit toISOString() is refused with 400 (client-node's V1MicroTime writes 6 digits)
    for (const field of isLease(kind) ? ["acquireTime", "renewTime"] : []) {
      const v = (next.spec as Obj | undefined)?.[field];
      if (v === undefined || v === null || (typeof v === "string" && MICRO_TIME.test(v))) continue;
      const why = `parsing time ${JSON.stringify(v)}: cannot parse ${JSON.stringify(String(v).slice(19))} as ".000000"`;
      throw err(400, `Lease in version "v1" cannot be handled as a Lease: ${why}`);
    }
    meta.resourceVersion = String(++this.rv);
    this.objects.set(keyOf(kind, meta.namespace, meta.name), next);
    return clone(next);
  }
}

/** Starts a server on 127.0.0.1 at a random port. */
export function startKubeServer(opts?: KubeServerOptions): Promise<KubeServer> {
  return new KubeServer(opts).listen();
}

const PATCHES =
  "application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml";
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/;
const isLease = (kind: Kind) => kind.group === "coordination.k8s.io" && kind.kind === "Lease";
const gv = (kind: KindInfo) => (kind.group ? `${kind.group}/${kind.version}` : kind.version);
/** A storage key: keys sort as etcd's do (/registry/<group>/<resource>/<namespace>/<name>). */
const keyOf = (kind: Kind, namespace: string | undefined, name: string) =>
  `${kind.group}/${kind.plural}/${kind.namespaced ? `${namespace ?? ""}/` : ""}${name}`;
const resource = (kind: Kind) => (kind.group ? `${kind.plural}.${kind.group}` : kind.plural);
const details = (kind: Kind, name: string): Obj => ({
  name,
  group: kind.group || undefined,
  kind: kind.plural,
});
const notFound = (kind: Kind, name: string) =>
  err(404, `${resource(kind)} "${name}" not found`, details(kind, name));
/** metav1.Time: RFC 3339 in whole seconds. */
const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");
const clone = <T>(v: T): T => structuredClone(v);
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The manager of a non-apply write: fieldManager, else the User-Agent before its first "/" (apiserver
 * handlers/rest.go prefixFromUserAgent), else "unknown". */
const managerOf = (c: Call) => c.query.fieldManager || c.agent?.split("/")[0]?.slice(0, 128) || "unknown";

/** Every namespace is labelled with its name (namespace strategy, kubernetes.io/metadata.name, Kubernetes 1.21+). */
function labelNamespace(obj: KubeObject): void {
  if (obj.apiVersion === "v1" && obj.kind === "Namespace")
    obj.metadata.labels = {
      ...(obj.metadata.labels as Obj),
      "kubernetes.io/metadata.name": obj.metadata.name,
    };
}

/** A request body: JSON, or YAML for an apply; an object (with metadata, unless a merge patch) or 400. */
function decode(c: Call, object = true): KubeObject {
  let o: unknown;
  try {
    o = c.type === "application/apply-patch+yaml" ? parseYaml(c.body) : JSON.parse(c.body);
  } catch {
    /* answered below */
  }
  if (!isObj(o) || (object && !isObj(o.metadata)))
    throw err(400, `the body of the request (${c.type}) could not be decoded as an object`);
  return o as KubeObject;
}

function parseToken(token: string): string | undefined {
  try {
    const { start } = JSON.parse(Buffer.from(token, "base64").toString()) as Obj;
    return typeof start === "string" ? start : undefined;
  } catch {
    return undefined;
  }
}

/** Equality-based label selectors: `k=v`, `k==v`, `k!=v`, `k`, `!k`, a comma being "and" (API concepts, "Labels"). */
function labelSelector(selector: string): (labels: Obj) => boolean {
  const terms = selector
    .split(",")
    .filter((t) => t.trim())
    .map((term) => {
      const m = /^\s*(!?)([\w./-]+)\s*(?:(==|=|!=)\s*([\w.-]*))?\s*$/.exec(term);
      if (!m)
        throw err(400, `unable to parse requirement: ${JSON.stringify(term)} (set-based: not modelled)`);
      const [, not, key, op, value] = m as unknown as [string, string, string, string | undefined, string];
      if (!op) return (l: Obj) => key in l !== (not === "!");
      return (l: Obj) => (l[key] === value) !== (op === "!=");
    });
  return (labels) => terms.every((t) => t(labels));
}

/** RFC 7386 JSON merge patch: maps merge, null deletes, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [key, v] of Object.entries(patch)) {
    if (v === null) delete out[key];
    else out[key] = mergePatch(out[key], v);
  }
  return out;
}

/** An object's fields as managedFields track them: its leaves (a scalar, a list, an empty map), without
 * apiVersion, kind and the metadata the server sets. */
function leaves(obj: Obj, path: Path = []): Path[] {
  const skip = path.length === 0 ? ["apiVersion", "kind"] : path.join() === "metadata" ? SYSTEM_METADATA : [];
  return Object.entries(obj).flatMap(([key, v]) => {
    if (skip.includes(key)) return [];
    const p = [...path, key];
    return isObj(v) && (Object.keys(v).length > 0 || p.join() === "metadata") ? leaves(v, p) : [p];
  });
}

function at(obj: unknown, path: Path): unknown {
  return path.reduce<unknown>((o, key) => (isObj(o) ? o[key] : undefined), obj);
}

/** Sets a field, making maps on the way; an empty map merges into one that is there. */
function put(obj: Obj, path: Path, value: unknown): void {
  let o = obj;
  for (const key of path.slice(0, -1)) o = isObj(o[key]) ? o[key] : (o[key] = {});
  const last = path[path.length - 1]!;
  if (!(isObj(value) && Object.keys(value).length === 0 && isObj(o[last]))) o[last] = value;
}

/** Removes a field, and the maps it leaves empty below the top level. */
function drop(obj: Obj, path: Path): void {
  const parent = at(obj, path.slice(0, -1));
  if (!isObj(parent)) return;
  delete parent[path[path.length - 1]!];
  if (path.length > 2 && Object.keys(parent).length === 0) drop(obj, path.slice(0, -1));
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b || typeof a !== "object" || typeof b !== "object" || a === null || b === null) return a === b;
  if (Array.isArray(a) !== Array.isArray(b) || Object.keys(a).length !== Object.keys(b).length) return false;
  return Object.keys(a).every((key) => equal((a as Obj)[key], (b as Obj)[key]));
}

/** Two fields overlap when one is the other or contains it. */
const overlaps = (a: Path, b: Path) => a.slice(0, b.length).every((key, i) => key === b[i]);
const owns = (m: Manager, path: Path) => [...m.fields].some((f) => overlaps(asPath(f), path));
const asPath = (field: string) => JSON.parse(field) as Path;

function managerEntry(managers: Manager[], manager: string, operation: Manager["operation"]): Manager {
  let m = managers.find((e) => e.manager === manager && e.operation === operation);
  if (!m) managers.push((m = { manager, operation, time: now(), fields: new Set() }));
  return m;
}

/** metadata.managedFields read: FieldsV1 (`{"f:spec":{"f:hard":{"f:pods":{}}}}`) into sets of paths. */
function readManagers(obj: KubeObject): Manager[] {
  type Entry = { manager: string; operation: Manager["operation"]; time: string; fieldsV1?: Obj };
  const paths = (f: Obj, path: Path): Path[] =>
    Object.entries(f).flatMap(([key, v]) => {
      if (!key.startsWith("f:")) return []; // ".", "k:", "v:" and "i:" are not written here
      const p = [...path, key.slice(2)];
      return isObj(v) && Object.keys(v).some((c) => c.startsWith("f:")) ? paths(v, p) : [p];
    });
  return ((obj.metadata.managedFields ?? []) as Entry[]).map(({ fieldsV1, ...m }) => {
    return { ...m, fields: new Set(paths(fieldsV1 ?? {}, []).map((p) => JSON.stringify(p))) };
  });
}

/** metadata.managedFields written: each manager keeps the fields the object still has, one with none is dropped
 * (SSA docs, "Field management"), and the fields are FieldsV1, the `f:`-prefixed tree. */
function writeManagers(obj: KubeObject, managers: Manager[]): KubeObject {
  const present = new Set(leaves(obj).map((p) => JSON.stringify(p)));
  obj.metadata.managedFields = managers.flatMap(({ manager, operation, time, fields }) => {
    const kept = [...fields].filter((f) => present.has(f)).sort();
    const fieldsV1: Obj = {};
    for (const f of kept)
      put(
        fieldsV1,
        asPath(f).map((key) => `f:${key}`),
        {},
      );
    const entry = { manager, operation, apiVersion: obj.apiVersion, time, fieldsType: "FieldsV1", fieldsV1 };
    return kept.length === 0 ? [] : [entry];
  });
  return obj;
}

/** The 409 of a conflicting apply, worded as apiserver's fieldmanager/internal/conflict.go words it. */
function conflictError(conflicts: { path: Path; m: Manager }[], apiVersion: string): ApiError {
  // an Update manager is named with the apiVersion it wrote ("kubectl-client-side-apply" using v1)
  const who = (m: Manager) => `"${m.manager}"${m.operation === "Update" ? ` using ${apiVersion}` : ""}`;
  const field = (p: Path) => `.${p.join(".")}`;
  const causes = conflicts.map(({ path, m }) => {
    return { reason: "FieldManagerConflict", message: `conflict with ${who(m)}`, field: field(path) };
  });
  const [{ path, m }] = conflicts as [(typeof conflicts)[0]];
  const one = `Apply failed with 1 conflict: conflict with ${who(m)}: ${field(path)}`;
  if (conflicts.length === 1) return err(409, one, { causes });
  const byManager = [...new Set(conflicts.map((c) => c.m))].sort((a, b) => (who(a) < who(b) ? -1 : 1));
  const lines = byManager.flatMap((m) => [
    `conflicts with ${who(m)}:`,
    ...conflicts.filter((c) => c.m === m).map((c) => `- ${field(c.path)}`),
  ]);
  return err(409, `Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`, { causes });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
