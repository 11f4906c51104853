/**
 * The rest of the API surface at admission, evaluated with the independent CEL chain on planned policies: every
 * Gateway API kind and field a tenant may write, cert-manager issuer references, the subresources of the
 * platform's workloads, node pools and tolerations, and credentials that end (no token Secrets, short
 * TokenRequests). Each hostile case was admitted before these rules; each has a control that is allowed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { LAYERS } from "../../../stacks/layers";
import { buildPlan } from "../../../plan/plan";
import { type Cluster, type PolicyPair, type Request, clusterOf, request } from "../../helpers/admission";
import { verdicts } from "../../helpers/verdicts";
import { validateK8sObject } from "../../helpers/k8s-schema";
import { exampleEnvironmentData, exampleWithEnvironment, loadExample } from "../../plan/registries";
import type { RegistryModel } from "../../../registry/model";
import { type AccessRow, accessMatrix } from "../../../plan/access";

type Json = Record<string, unknown>;
const ALICE = { username: "oidc:alice@example.com", groups: ["system:authenticated"] };
const KUBELET = { username: "system:node:worker-1", groups: ["system:nodes", "system:authenticated"] };
const TOKENS = { username: "system:kube-controller-manager", groups: ["system:authenticated"] };

/** The example, and the example whose default tier allows a GatewayClass, names node pools and a taint. */
let example: { pairs: PolicyPair[]; cluster: Cluster };
let pooled: { pairs: PolicyPair[]; cluster: Cluster; model: RegistryModel; plan: Json[] };
beforeAll(async () => {
  example = clusterOf(await buildPlan(await loadExample(), LAYERS));
  const env = exampleEnvironmentData();
  env.defaults.admission = {
    ...env.defaults.admission,
    gatewayClasses: ["tenant-gateways"],
    nodePools: ["shared", "gpu"],
    tolerations: ["dedicated"],
  };
  const model = exampleWithEnvironment(env);
  const plan = await buildPlan(model, LAYERS);
  pooled = {
    ...clusterOf(plan),
    model,
    plan: plan.stacks.flatMap((s) => s.resources).map((r) => r.inputs as Json),
  };
});
const onExample = verdicts(() => example);
const onPooled = verdicts(() => pooled);

const meta = (namespace: string, name: string, extra: Json = {}) => ({ name, namespace, ...extra });
/** A TokenRequest for the service account `builder` of a namespace, as `kubectl create token` sends it. */
const tokenRequest = (user: Request["user"], namespace: string, expirationSeconds?: number): Request => ({
  operation: "CREATE",
  kind: { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" },
  resource: { group: "", version: "v1", resource: "serviceaccounts" },
  subResource: "token",
  namespace,
  name: "builder",
  user,
  object: {
    kind: "TokenRequest",
    metadata: meta(namespace, "builder"),
    spec: {
      audiences: ["https://kubernetes.default.svc"],
      ...(expirationSeconds ? { expirationSeconds } : {}),
    },
  },
  oldObject: null,
});

describe("Gateway API", () => {
  const gateway = (spec: Json, ns = "alice"): Json => ({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: meta(ns, "gw"),
    spec: {
      gatewayClassName: "tenant-gateways",
      listeners: [{ name: "h", port: 80, protocol: "HTTP", hostname: "alice.example.com" }],
      ...spec,
    },
  });
  const listener = (allowedRoutes: Json) => ({
    listeners: [{ name: "h", port: 80, protocol: "HTTP", hostname: "alice.example.com", allowedRoutes }],
  });

  it("a tenant's own Gateway only of a class its tier lists (none by default), and never with addresses", () => {
    onExample.denied(request("CREATE", ALICE, gateway({})), "tenancy-hostnames", /GatewayClass/);
    onPooled.allowed(request("CREATE", ALICE, gateway({})));
    onPooled.denied(
      request("CREATE", ALICE, gateway({ gatewayClassName: "platform-internet" })),
      "tenancy-hostnames",
      /GatewayClass/,
    );
    const listeners = (hostname?: string) => ({
      listeners: [{ name: "h", port: 80, protocol: "HTTP", ...(hostname ? { hostname } : {}) }],
    });
    onPooled.denied(request("CREATE", ALICE, gateway(listeners())), "tenancy-hostnames", /hostname/);
    onPooled.denied(
      request("CREATE", ALICE, gateway(listeners("bob.example.com"))),
      "tenancy-hostnames",
      /hostname/,
    );
    onPooled.denied(
      request("CREATE", ALICE, gateway({ addresses: [{ type: "IPAddress", value: "203.0.113.7" }] })),
      "tenancy-hostnames",
      /addresses/,
    );
  });

  it("listeners take routes from the tenant's own namespaces only", () => {
    const own = {
      namespaces: {
        from: "Selector",
        selector: { matchLabels: { "kubernetes.io/metadata.name": "alice-dev" } },
      },
    };
    onPooled.allowed(request("CREATE", ALICE, gateway(listener({ namespaces: { from: "Same" } }))));
    onPooled.allowed(request("CREATE", ALICE, gateway(listener(own))));
    onPooled.allowed(
      request(
        "CREATE",
        ALICE,
        gateway(
          listener({
            namespaces: {
              from: "Selector",
              selector: {
                matchExpressions: [
                  { key: "kubernetes.io/metadata.name", operator: "In", values: ["alice", "alice-dev"] },
                ],
              },
            },
          }),
        ),
      ),
    );
    for (const hostile of [
      { namespaces: { from: "All" } },
      { namespaces: { from: "Selector", selector: {} } },
      {
        namespaces: {
          from: "Selector",
          selector: { matchLabels: { "kubernetes.io/metadata.name": "bob-prod" } },
        },
      },
      { namespaces: { from: "Selector", selector: { matchLabels: { "tenancy.io/tenant": "alice" } } } },
      {
        namespaces: {
          from: "Selector",
          selector: {
            matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["alice"] }],
          },
        },
      },
    ])
      onPooled.denied(
        request("CREATE", ALICE, gateway(listener(hostile))),
        "tenancy-hostnames",
        /own namespaces/,
      );
  });

  it("a ListenerSet's listeners are bounded like a Gateway's", () => {
    const set = (hostname: string, kind = "XListenerSet"): Request => ({
      operation: "CREATE",
      kind: {
        group: kind === "XListenerSet" ? "gateway.networking.x-k8s.io" : "gateway.networking.k8s.io",
        version: "v1alpha1",
        kind,
      },
      resource: {
        group: kind === "XListenerSet" ? "gateway.networking.x-k8s.io" : "gateway.networking.k8s.io",
        version: "v1alpha1",
        resource: kind === "XListenerSet" ? "xlistenersets" : "listenersets",
      },
      namespace: "alice",
      name: "ls",
      user: ALICE,
      object: {
        kind,
        metadata: meta("alice", "ls"),
        spec: {
          parentRef: {
            name: "shared",
            namespace: "gateway",
            kind: "Gateway",
            group: "gateway.networking.k8s.io",
          },
          listeners: [{ name: "h", port: 443, protocol: "HTTPS", hostname }],
        },
      },
      oldObject: null,
    });
    onExample.allowed(set("app.alice.example.com"));
    onExample.denied(set("bob.example.com"), "tenancy-hostnames", /listener/);
    onExample.denied(set("bob.example.com", "ListenerSet"), "tenancy-hostnames", /listener/);
  });

  it("TCP and UDP routes, which name no hostname, attach only to the tenant's own Gateways", () => {
    const route = (kind: "TCPRoute" | "UDPRoute", parentRefs: Json[]): Request => ({
      operation: "CREATE",
      kind: { group: "gateway.networking.k8s.io", version: "v1alpha2", kind },
      resource: {
        group: "gateway.networking.k8s.io",
        version: "v1alpha2",
        resource: `${kind.toLowerCase()}s`,
      },
      namespace: "alice",
      name: "db",
      user: ALICE,
      object: {
        kind,
        metadata: meta("alice", "db"),
        spec: { parentRefs, rules: [{ backendRefs: [{ name: "db", port: 5432 }] }] },
      },
      oldObject: null,
    });
    for (const kind of ["TCPRoute", "UDPRoute"] as const) {
      onExample.allowed(route(kind, [{ name: "gw" }, { name: "gw", namespace: "alice-dev" }]));
      onExample.denied(
        route(kind, [{ name: "shared", namespace: "gateway" }]),
        "tenancy-hostnames",
        /own namespaces/,
      );
      onExample.denied(
        route(kind, [{ name: "gw", namespace: "bob-prod" }]),
        "tenancy-hostnames",
        /own namespaces/,
      );
    }
  });
});

describe("cert-manager issuers", () => {
  const cert = (issuerRef: Json): Json => ({
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: meta("alice", "c"),
    spec: { secretName: "c", dnsNames: ["alice.example.com"], issuerRef },
  });
  it("a Certificate names the ClusterIssuers its tier allows (the environment's issuer by default) or its own Issuers", () => {
    onExample.allowed(request("CREATE", ALICE, cert({ name: "letsencrypt-prod", kind: "ClusterIssuer" })));
    onExample.allowed(request("CREATE", ALICE, cert({ name: "mine" })));
    onExample.allowed(
      request("CREATE", ALICE, cert({ name: "mine", kind: "Issuer", group: "cert-manager.io" })),
    );
    onExample.allowed(
      request(
        "CREATE",
        ALICE,
        cert({ name: "o", kind: "OriginIssuer", group: "cert-manager.k8s.cloudflare.com" }),
      ),
    );
    // the platform's internal CA: certificates that every workload trusts, for any name the tenant owns
    onExample.denied(
      request("CREATE", ALICE, cert({ name: "internal-ca", kind: "ClusterIssuer" })),
      "tenancy-hostnames",
      /ClusterIssuers/,
    );
    onExample.denied(
      request(
        "CREATE",
        ALICE,
        cert({ name: "pca", kind: "AWSPCAClusterIssuer", group: "awspca.cert-manager.io" }),
      ),
      "tenancy-hostnames",
      /ClusterIssuers/,
    );
  });

  it("so do the annotations from which cert-manager makes an Ingress's or Gateway's Certificate", () => {
    const web = (annotations: Record<string, string>): Json => ({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { ...meta("alice", "web"), annotations },
      spec: { ingressClassName: "nginx", rules: [{ host: "alice.example.com" }] },
    });
    onExample.allowed(
      request("CREATE", ALICE, web({ "cert-manager.io/cluster-issuer": "letsencrypt-prod" })),
    );
    onExample.allowed(request("CREATE", ALICE, web({ "cert-manager.io/issuer": "mine" })));
    onExample.denied(
      request("CREATE", ALICE, web({ "cert-manager.io/cluster-issuer": "internal-ca" })),
      "tenancy-hostnames",
      /ClusterIssuer/,
    );
    onExample.denied(
      request(
        "CREATE",
        ALICE,
        web({ "cert-manager.io/issuer": "internal-ca", "cert-manager.io/issuer-kind": "ClusterIssuer" }),
      ),
      "tenancy-hostnames",
      /ClusterIssuer/,
    );
  });
});

describe("the platform's workloads", () => {
  const scale = (name: string, user = ALICE): Request => ({
    operation: "UPDATE",
    kind: { group: "autoscaling", version: "v1", kind: "Scale" },
    resource: { group: "apps", version: "v1", resource: "deployments" },
    subResource: "scale",
    namespace: "alice",
    name,
    user,
    // a Scale carries the workload's name and namespace, never its labels
    object: { kind: "Scale", metadata: meta("alice", name), spec: { replicas: 0 } },
    oldObject: { kind: "Scale", metadata: meta("alice", name), spec: { replicas: 1 } },
  });
  it("are scaled by the platform only: neither through the scale subresource nor by a tenant's autoscaler", () => {
    onExample.denied(scale("jupyter"), "tenancy-platform-subresources", /platform's/);
    onExample.allowed(scale("web"));
    const hpa = (target: string): Request => ({
      operation: "CREATE",
      kind: { group: "autoscaling", version: "v2", kind: "HorizontalPodAutoscaler" },
      resource: { group: "autoscaling", version: "v2", resource: "horizontalpodautoscalers" },
      namespace: "alice",
      name: "h",
      user: ALICE,
      object: {
        kind: "HorizontalPodAutoscaler",
        metadata: meta("alice", "h"),
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: target },
          maxReplicas: 20,
        },
      },
      oldObject: null,
    });
    onExample.denied(hpa("jupyter"), "tenancy-platform-subresources", /HorizontalPodAutoscaler/);
    onExample.allowed(hpa("web"));
    // the autoscaler's controller and the platform itself still scale
    onExample.allowed(
      scale("jupyter", {
        username: "system:serviceaccount:kube-system:horizontal-pod-autoscaler",
        groups: [],
      }),
    );
  });

  it("take no debug container from a tenant (pods/ephemeralcontainers on the platform's pod)", () => {
    const pod = (labels: Record<string, string>, debug: boolean): Json => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: meta("alice", "jupyter-5d8f-x", { labels }),
      spec: {
        containers: [
          { name: "app", image: "quay.io/jupyter/minimal-notebook:2024-05-27", imagePullPolicy: "Always" },
        ],
        ...(debug
          ? { ephemeralContainers: [{ name: "dbg", image: "docker.io/busybox", imagePullPolicy: "Always" }] }
          : {}),
      },
    });
    const platformLabels = { "app.kubernetes.io/managed-by": "tenancy", "tenancy.io/tenant": "alice" };
    onExample.denied(
      request("UPDATE", ALICE, pod(platformLabels, true), pod(platformLabels, false), "ephemeralcontainers"),
      "tenancy-platform-objects",
    );
    onExample.allowed(
      request("UPDATE", ALICE, pod({ app: "web" }, true), pod({ app: "web" }, false), "ephemeralcontainers"),
    );
  });
});

describe("nodes per tier", () => {
  const pod = (spec: Json): Json => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: meta("alice", "p"),
    spec: { containers: [{ name: "c", image: "docker.io/nginx", imagePullPolicy: "Always" }], ...spec },
  });
  const LABEL = "tenancy.io/node-pool";

  it("a pod selects one of the tier's node pools", () => {
    onPooled.allowed(request("CREATE", ALICE, pod({ nodeSelector: { [LABEL]: "shared" } })));
    onPooled.allowed(
      request("CREATE", ALICE, pod({ nodeSelector: { [LABEL]: "gpu", "kubernetes.io/os": "linux" } })),
    );
    onPooled.denied(request("CREATE", ALICE, pod({})), "tenancy-workloads", /node pools/);
    onPooled.denied(
      request("CREATE", ALICE, pod({ nodeSelector: { [LABEL]: "system" } })),
      "tenancy-workloads",
      /node pools/,
    );
    onPooled.denied(
      request("CREATE", ALICE, pod({ nodeSelector: { "kubernetes.io/hostname": "control-plane-1" } })),
      "tenancy-workloads",
      /node pools/,
    );
    // a tier without pools: any node the scheduler picks
    onExample.allowed(request("CREATE", ALICE, pod({})));
  });

  it("tolerates only the taints the tier allows, and the node conditions Kubernetes tolerates itself", () => {
    const on = (tolerations: Json[]) => pod({ nodeSelector: { [LABEL]: "shared" }, tolerations });
    const notReady = {
      key: "node.kubernetes.io/not-ready",
      operator: "Exists",
      effect: "NoExecute",
      tolerationSeconds: 300,
    };
    onPooled.allowed(
      request("CREATE", ALICE, on([notReady, { key: "dedicated", operator: "Equal", value: "ml" }])),
    );
    onPooled.denied(request("CREATE", ALICE, on([{ operator: "Exists" }])), "tenancy-workloads", /tolerate/);
    onPooled.denied(
      request(
        "CREATE",
        ALICE,
        on([{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }]),
      ),
      "tenancy-workloads",
      /tolerate/,
    );
    onExample.denied(
      request("CREATE", ALICE, pod({ tolerations: [{ key: "dedicated", operator: "Exists" }] })),
      "tenancy-workloads",
      /tolerate/,
    );
    // tolerations may be added to a running pod: checked on update too
    onPooled.denied(
      request("UPDATE", ALICE, on([{ key: "nvidia.com/gpu", operator: "Exists" }]), on([])),
      "tenancy-workloads",
      /tolerate/,
    );
  });

  it("the platform's own pods select the tier's first pool, and are admitted", () => {
    const deployment = pooled.plan.find(
      (o) => o.kind === "Deployment" && (o.metadata as { namespace: string }).namespace === "alice",
    )!;
    validateK8sObject(deployment);
    const template = (deployment.spec as { template: { metadata: Json; spec: Json } }).template;
    expect(template.spec.nodeSelector).toEqual({ [LABEL]: "shared" });
    const rs = { username: "system:serviceaccount:kube-system:replicaset-controller", groups: [] };
    onPooled.allowed(
      request("CREATE", rs, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { ...template.metadata, namespace: "alice", name: "jupyter-1" },
        spec: template.spec,
      }),
    );
  });
});

describe("credentials that end", () => {
  const secret = (type: string): Json => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta("alice", "t", { annotations: { "kubernetes.io/service-account.name": "builder" } }),
    type,
  });
  const token = (user: Request["user"], expirationSeconds?: number) =>
    tokenRequest(user, "alice", expirationSeconds);

  it("no ServiceAccount token Secret from a tenant: it would never expire", () => {
    onExample.denied(
      request("CREATE", ALICE, secret("kubernetes.io/service-account-token")),
      "tenancy-credentials",
      /never expires/,
    );
    onExample.allowed(request("CREATE", ALICE, secret("Opaque")));
    // the token controller fills in the ones that exist (a cluster older than the policy)
    const filled = secret("kubernetes.io/service-account-token");
    onExample.allowed(request("UPDATE", TOKENS, { ...filled, data: { token: "dA==" } }, filled));
  });

  it("tokens a tenant requests last at most admission.maxTokenSeconds; a pod's own, bound to it, as the pod asks", () => {
    onExample.allowed(token(ALICE));
    onExample.allowed(token(ALICE, 3600));
    onExample.denied(token(ALICE, 60 * 60 * 24 * 365), "tenancy-credentials", /at most 3600 seconds/);
    onExample.allowed(token(KUBELET, 60 * 60 * 24 * 365));
  });

  it("an environment whose deployers' tokens would outlast the limit is refused, with the field", () => {
    const env = exampleEnvironmentData();
    env.vault.deployer = { ttlSeconds: 1800, maxTtlSeconds: 7200 };
    expect(() => exampleWithEnvironment(env)).toThrow(
      /vault\.deployer\.maxTtlSeconds: 7200 exceeds admission\.maxTokenSeconds \(3600\)/,
    );
    env.admission.maxTokenSeconds = 7200;
    expect(() => exampleWithEnvironment(env)).not.toThrow();
  });
});

describe("revocation: what a member granted itself ends with the membership", () => {
  // alice is a developer in bob-staging (bob's record); bob's tenant subject is bob's own user
  const rowsOf = async (model: RegistryModel) => accessMatrix(model, await buildPlan(model, LAYERS));

  it("her own identity loses every grant when the membership ends, and she could not bind herself to outlast it", async () => {
    const env = exampleEnvironmentData();
    const before = await rowsOf(exampleWithEnvironment(env));
    const after = await rowsOf(
      exampleWithEnvironment(env, (doc) =>
        doc.id === "bob"
          ? {
              ...doc,
              data: {
                ...(doc.data as Json),
                members: ((doc.data as { members: { tenant: string }[] }).members ?? []).filter(
                  (m) => m.tenant !== "alice",
                ),
              },
            }
          : doc,
      ),
    );
    const inStaging = (rows: AccessRow[]) =>
      rows.filter(
        (r) => r.principal === "user:alice@example.com" && JSON.stringify(r).includes("bob-staging"),
      );
    expect(inStaging(before).length).toBeGreaterThan(0);
    expect(inStaging(after)).toEqual([]);
    // what she might have made while a member, to keep access: a binding of her own user (denied: only bob's
    // principals and bob's service accounts may be bound), a token Secret (denied), a year-long token (denied)
    const binding: Json = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: meta("bob-staging", "keep"),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
      subjects: [{ kind: "User", name: "oidc:alice@example.com", apiGroup: "rbac.authorization.k8s.io" }],
    };
    onExample.denied(request("CREATE", ALICE, binding), "tenancy-role-bindings");
    const sa = { kind: "ServiceAccount", name: "builder", namespace: "bob-staging" };
    onExample.allowed(request("CREATE", ALICE, { ...binding, subjects: [sa] }));
    const secret: Json = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: meta("bob-staging", "t", {
        annotations: { "kubernetes.io/service-account.name": "builder" },
      }),
      type: "kubernetes.io/service-account-token",
    };
    onExample.denied(request("CREATE", ALICE, secret), "tenancy-credentials");
    const token = (expirationSeconds: number) => tokenRequest(ALICE, "bob-staging", expirationSeconds);
    onExample.denied(token(365 * 24 * 3600), "tenancy-credentials");
    // the longest she can keep: one token of maxTokenSeconds for a service account of bob's, in bob's namespace
    // (deleted with it: a bound token dies with its service account)
    onExample.allowed(token(3600));
  });
});

describe("the clusters' StorageClasses", () => {
  it("a tier names only the classes the environment lists, and the clusters have one default at most", () => {
    const env = exampleEnvironmentData();
    env.tiers.team.admission.storageClasses = ["standard", "fast-retain"];
    env.storageClasses.retained.default = true;
    expect(() => exampleWithEnvironment(env)).toThrow(
      /storageClasses: name at most one default class \(standard, retained say default: true\)[\s\S]*tiers\.team\.admission\.storageClasses\[1\]: "fast-retain" is not one of the clusters' StorageClasses the environment lists \(storageClasses: standard, retained\)/,
    );
    // an environment listing none checks nothing
    const none = exampleEnvironmentData();
    delete none.storageClasses;
    none.tiers.team.admission.storageClasses = ["anything"];
    expect(() => exampleWithEnvironment(none)).not.toThrow();
  });
});
