/**
 * The admission policies of the example plan, evaluated with an independent CEL implementation
 * (test/helpers/admission.ts) against allowed and forbidden objects for each rule. The policies, bindings,
 * namespaces and parameter ConfigMaps are those the plan would create, not hand-written copies.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { LAYERS } from "../../../stacks/layers";
import { admissionPolicies } from "../../../components/admission/policy";
import { imageAllowed } from "../../../components/admission/params";
import { NAMESPACE_NAME_LABEL } from "../../../components/core/labels";
import { type Plan, buildPlan } from "../../../plan/plan";
import type { RegistryModel } from "../../../registry/model";
import {
  type Cluster,
  type PolicyPair,
  type Request,
  admit,
  clusterOf,
  request,
} from "../../helpers/admission";
import { validateK8sObject } from "../../helpers/k8s-schema";
import { plannedObject, verdicts } from "../../helpers/verdicts";
import {
  exampleEnvironmentData,
  exampleWithEnvironment,
  exampleWithSharedCi,
  loadExample,
  registryOf,
  withSharedCi,
} from "../../plan/registries";

type Json = Record<string, unknown>;
const ALICE = { username: "oidc:alice@example.com", groups: ["system:authenticated"] };
const BOB = { username: "oidc:bob@example.com", groups: ["system:authenticated"] };
const PLATFORM = { username: "kubernetes-admin", groups: ["system:masters", "system:authenticated"] };
const GC = { username: "system:serviceaccount:kube-system:generic-garbage-collector", groups: [] };
const RS_CONTROLLER = { username: "system:serviceaccount:kube-system:replicaset-controller", groups: [] };

let model: RegistryModel;
let plan: Plan;
let pairs: PolicyPair[];
let cluster: Cluster;
beforeAll(async () => {
  model = await loadExample();
  plan = await buildPlan(model, LAYERS);
  ({ pairs, cluster } = clusterOf(plan));
});

const { allowed, denied } = verdicts(() => ({ pairs, cluster }));
const meta = (namespace: string, name: string, labels?: Record<string, string>) => ({
  name,
  namespace,
  ...(labels ? { labels } : {}),
});
const ingress = (ns: string, spec: Json, annotations?: Record<string, string>): Json => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: { ...meta(ns, "web"), ...(annotations ? { annotations } : {}) },
  spec,
});
const rule = (host?: string) => ({
  ...(host !== undefined ? { host } : {}),
  http: {
    paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }],
  },
});
const planned = (kind: string, ns: string, name: string): Json => plannedObject(plan, kind, ns, name);

describe("the planned admission objects", () => {
  it("are one policy and one binding per switch, each valid against the Kubernetes schema", () => {
    // no shared CI identity in the example: no policy guarding one
    expect(pairs.map((p) => (p.policy.metadata as { name: string }).name).sort()).toEqual([
      "tenancy-credentials",
      "tenancy-hostnames",
      "tenancy-network-policies",
      "tenancy-platform-objects",
      "tenancy-platform-subresources",
      "tenancy-role-bindings",
      "tenancy-services",
      "tenancy-workloads",
    ]);
    for (const p of pairs) {
      expect(p.binding).toBeDefined();
      validateK8sObject(p.policy);
      validateK8sObject(p.binding);
    }
    // one parameter ConfigMap in every tenant namespace
    expect(
      Object.keys(cluster.configMaps)
        .filter((k) => k.endsWith("/tenancy-admission"))
        .sort(),
    ).toEqual(model.tenants.flatMap((t) => t.namespaces.map((n) => `${n.name}/tenancy-admission`)).sort());
    expect(cluster.configMaps["alice/tenancy-admission"]!.data).toMatchObject({
      tenant: "alice",
      users: "oidc:alice@example.com",
      namespaces: "alice\nalice-dev",
      domains: "alice.example.com\nalice.jupyter.apps.example.com",
    });
  });

  it("find their parameters by the platform's labels: a tenant's own ConfigMap of that name is no parameter", () => {
    // bob's parameters not there yet (a namespace being made), and bob's own ConfigMap of that name, permissive
    const own = structuredClone(cluster);
    delete own.configMaps["bob-prod/tenancy-admission"];
    own.configMaps["bob-prod/tenancy-admission"] = {
      labels: {},
      data: { ...cluster.configMaps["bob-prod/tenancy-admission"]!.data, domains: "alice.example.com" },
    };
    const web = ingress("bob-prod", { rules: [rule("alice.example.com")] });
    const d = admit(pairs, own, request("CREATE", BOB, web));
    expect(d).toMatchObject({ allowed: false, policy: "tenancy-hostnames" });
    expect((d as { message: string }).message).toBe("no parameters for tenancy-hostnames in bob-prod");
    // and bob cannot make one carrying the platform's labels
    const forged = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: meta("bob-prod", "mine", {
        "app.kubernetes.io/managed-by": "tenancy",
        "tenancy.io/admission-params": "true",
      }),
      data: { domains: "alice.example.com" },
    };
    denied(request("CREATE", BOB, forged), "tenancy-platform-objects");
    // the bindings select by label, never by name
    for (const p of pairs.filter((x) => (x.binding.spec as Json).paramRef))
      expect((p.binding.spec as { paramRef: Json }).paramRef).toEqual({
        selector: {
          matchLabels: { "app.kubernetes.io/managed-by": "tenancy", "tenancy.io/admission-params": "true" },
        },
        parameterNotFoundAction: "Deny",
      });
  });

  it("switch off one by one, and refuse an environment that would let tenants rewrite their parameters", () => {
    const env = exampleEnvironmentData();
    env.admission.policies = { hostnames: false, ciIdentity: false };
    const names = admissionPolicies(exampleWithEnvironment(env).environment).map((p) => p.name);
    expect(names).toEqual([
      "platformObjects",
      "roleBindings",
      "services",
      "workloads",
      "platformSubresources",
      "credentials",
      "networkPolicies",
    ]);
    env.admission.policies = { platformObjects: false };
    expect(() => exampleWithEnvironment(env)).toThrow(
      /admission\.policies\.platformObjects: cannot be off while roleBindings, hostnames, services, workloads, networkPolicies, platformSubresources are on/,
    );
    delete env.admission;
    expect(() => exampleWithEnvironment(env)).toThrow(
      /admission\.platform: name the users or groups `pulumi up` runs as/,
    );
  });
});

describe("platform-owned objects", () => {
  it("an owner cannot edit, relabel or delete a platform NetworkPolicy; the platform and the garbage collector can", () => {
    const np = planned("NetworkPolicy", "alice", "tenancy-default-deny");
    const edited = structuredClone(np) as { spec: { policyTypes: string[] } };
    edited.spec.policyTypes = ["Ingress"];
    denied(request("UPDATE", ALICE, edited, np), "tenancy-platform-objects", /belongs to the platform/);
    const relabelled = structuredClone(np) as { metadata: { labels: Record<string, string> } };
    relabelled.metadata.labels = {};
    denied(request("UPDATE", ALICE, relabelled, np), "tenancy-platform-objects");
    denied(request("DELETE", ALICE, null, np), "tenancy-platform-objects");
    allowed(request("UPDATE", PLATFORM, edited, np));
    allowed(request("DELETE", GC, null, np));
    // the quota, the limits and the parameters are protected the same way
    for (const [kind, name] of [
      ["ResourceQuota", "tenant-quota"],
      ["LimitRange", "tenant-limits"],
      ["ConfigMap", "tenancy-admission"],
      ["RoleBinding", "tenant-owner"],
    ])
      denied(request("DELETE", ALICE, null, planned(kind!, "alice", name!)), "tenancy-platform-objects");
  });

  it("an owner may create its own NetworkPolicy, but not one carrying the platform's label", () => {
    const own: Json = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta("alice", "allow-web"),
      spec: { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }], policyTypes: ["Ingress"] },
    };
    allowed(request("CREATE", ALICE, own));
    const forged = {
      ...own,
      metadata: meta("alice", "allow-web", { "app.kubernetes.io/managed-by": "tenancy" }),
    };
    denied(request("CREATE", ALICE, forged), "tenancy-platform-objects", /tenants may not set it/);
  });
});

describe("role bindings", () => {
  const binding = (subjects: Json[]): Json => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: meta("alice", "mine"),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
    subjects,
  });
  const user = (name: string) => ({ kind: "User", name, apiGroup: "rbac.authorization.k8s.io" });

  it("bind the tenant's own user and service accounts of its own namespaces", () => {
    allowed(request("CREATE", ALICE, binding([user("oidc:alice@example.com")])));
    allowed(request("CREATE", ALICE, binding([{ kind: "ServiceAccount", name: "ci" }])));
    allowed(
      request("CREATE", ALICE, binding([{ kind: "ServiceAccount", name: "ci", namespace: "alice-dev" }])),
    );
  });

  it("refuse another tenant's user, a system group and another tenant's service account", () => {
    const message = /may bind only the tenant's own user or group/;
    denied(
      request("CREATE", ALICE, binding([user("oidc:bob@example.com")])),
      "tenancy-role-bindings",
      message,
    );
    denied(
      request(
        "CREATE",
        ALICE,
        binding([{ kind: "Group", name: "system:authenticated", apiGroup: "rbac.authorization.k8s.io" }]),
      ),
      "tenancy-role-bindings",
    );
    denied(
      request("CREATE", ALICE, binding([{ kind: "ServiceAccount", name: "default", namespace: "bob-prod" }])),
      "tenancy-role-bindings",
    );
    // one bad subject among good ones is enough
    denied(
      request("CREATE", ALICE, binding([user("oidc:alice@example.com"), user("oidc:bob@example.com")])),
      "tenancy-role-bindings",
    );
  });
});

describe("hostnames", () => {
  it("allow the tenant's domain and subdomains of it, and its app instances' hosts", () => {
    allowed(request("CREATE", ALICE, ingress("alice", { rules: [rule("alice.example.com")] })));
    allowed(request("CREATE", ALICE, ingress("alice", { rules: [rule("api.alice.example.com")] })));
    allowed(request("CREATE", ALICE, ingress("alice", { rules: [rule("*.alice.example.com")] })));
    allowed(
      request(
        "CREATE",
        ALICE,
        ingress("alice", {
          rules: [rule("alice.example.com")],
          tls: [{ hosts: ["alice.example.com"], secretName: "t" }],
        }),
      ),
    );
  });

  it("refuse another tenant's hostname, a look-alike suffix, a host-less rule and a default backend", () => {
    const m = /one of the tenant's domains or below one/;
    denied(
      request("CREATE", ALICE, ingress("alice", { rules: [rule("bob.example.com")] })),
      "tenancy-hostnames",
      m,
    );
    denied(
      request("CREATE", ALICE, ingress("alice", { rules: [rule("shop.example.org")] })),
      "tenancy-hostnames",
    );
    denied(
      request("CREATE", ALICE, ingress("alice", { rules: [rule("evilalice.example.com")] })),
      "tenancy-hostnames",
    );
    denied(
      request("CREATE", ALICE, ingress("alice", { rules: [rule("*.example.com")] })),
      "tenancy-hostnames",
    );
    denied(
      request("CREATE", ALICE, ingress("alice", { rules: [rule()] })),
      "tenancy-hostnames",
      /no host-less/,
    );
    denied(
      request(
        "CREATE",
        ALICE,
        ingress("alice", { defaultBackend: { service: { name: "web", port: { number: 80 } } } }),
      ),
      "tenancy-hostnames",
      /defaultBackend/,
    );
    denied(
      request(
        "CREATE",
        ALICE,
        ingress("alice", {
          rules: [rule("alice.example.com")],
          tls: [{ hosts: ["bob.example.com"], secretName: "t" }],
        }),
      ),
      "tenancy-hostnames",
    );
    denied(
      request(
        "CREATE",
        ALICE,
        ingress("alice", { rules: [rule("alice.example.com")], tls: [{ secretName: "t" }] }),
      ),
      "tenancy-hostnames",
    );
    // the same Ingress is fine in bob's namespace, for bob: the parameters are per namespace
    allowed(request("CREATE", BOB, ingress("bob-prod", { rules: [rule("bob.example.com")] })));
  });

  it("allow only the tier's IngressClasses", () => {
    allowed(
      request(
        "CREATE",
        ALICE,
        ingress("alice", { ingressClassName: "nginx", rules: [rule("alice.example.com")] }),
      ),
    );
    denied(
      request(
        "CREATE",
        ALICE,
        ingress("alice", { ingressClassName: "internal", rules: [rule("alice.example.com")] }),
      ),
      "tenancy-hostnames",
      /IngressClass/,
    );
    denied(
      request(
        "CREATE",
        ALICE,
        ingress(
          "alice",
          { rules: [rule("alice.example.com")] },
          { "kubernetes.io/ingress.class": "internal" },
        ),
      ),
      "tenancy-hostnames",
    );
  });

  it("apply to Gateway API routes and listeners and to cert-manager Certificates", () => {
    const route = (hostnames?: string[]): Json => ({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: meta("alice", "web"),
      spec: { parentRefs: [{ name: "shared", namespace: "gateway" }], ...(hostnames ? { hostnames } : {}) },
    });
    allowed(request("CREATE", ALICE, route(["app.alice.example.com"])));
    denied(request("CREATE", ALICE, route(["bob.example.com"])), "tenancy-hostnames");
    denied(request("CREATE", ALICE, route()), "tenancy-hostnames", /catches every hostname/);
    const gateway = (hostname?: string): Json => ({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: meta("alice", "gw"),
      spec: {
        gatewayClassName: "x",
        listeners: [{ name: "h", port: 80, protocol: "HTTP", ...(hostname ? { hostname } : {}) }],
      },
    });
    // a tenant's own Gateway needs a class its tier lists (none in the example; surface.test.ts has the rest)
    denied(request("CREATE", ALICE, gateway("alice.example.com")), "tenancy-hostnames", /GatewayClass/);
    denied(request("CREATE", ALICE, gateway()), "tenancy-hostnames");
    const cert = (spec: Json): Json => ({
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: meta("alice", "c"),
      spec: { secretName: "c", issuerRef: { name: "letsencrypt-prod", kind: "ClusterIssuer" }, ...spec },
    });
    allowed(request("CREATE", ALICE, cert({ dnsNames: ["alice.example.com", "www.alice.example.com"] })));
    denied(
      request("CREATE", ALICE, cert({ dnsNames: ["alice.example.com", "bob.example.com"] })),
      "tenancy-hostnames",
    );
    denied(request("CREATE", ALICE, cert({ commonName: "bob.example.com" })), "tenancy-hostnames");
    denied(
      request("CREATE", ALICE, cert({ dnsNames: ["alice.example.com"], ipAddresses: ["10.0.0.1"] })),
      "tenancy-hostnames",
    );
    denied(request("CREATE", ALICE, cert({})), "tenancy-hostnames");
  });
});

describe("services and volumes", () => {
  const service = (ns: string, spec: Json): Json => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(ns, "web"),
    spec: { ports: [{ port: 80 }], ...spec },
  });
  const pvc = (spec: Json, name = "data"): Json => ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: meta("alice", name),
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, ...spec },
  });

  it("refuse the annotations the platform reserves (controller snippets, external auth, external-dns, address pinning) and a pinned loadBalancerIP", () => {
    const annotated = (kind: "Service" | "Ingress", annotations: Record<string, string>): Json =>
      kind === "Service"
        ? { ...service("alice", {}), metadata: { ...meta("alice", "web"), annotations } }
        : ingress("alice", { rules: [rule("alice.example.com")] }, annotations);
    // auth-url makes the ingress controller call any URL, inside the cluster too; a snippet runs the tenant's nginx
    // configuration in the controller
    for (const a of [
      { "nginx.ingress.kubernetes.io/auth-url": "http://vault.vault.svc:8200/v1/sys/raw" } as Record<
        string,
        string
      >,
      { "nginx.ingress.kubernetes.io/configuration-snippet": "proxy_pass http://10.0.0.1;" },
      { "external-dns.alpha.kubernetes.io/hostname": "bob.example.com" },
    ])
      denied(request("CREATE", ALICE, annotated("Ingress", a)), "tenancy-hostnames", /reserves/);
    for (const a of [
      { "external-dns.alpha.kubernetes.io/hostname": "bob.example.com" } as Record<string, string>,
      { "metallb.universe.tf/loadBalancerIPs": "203.0.113.7" },
      { "service.beta.kubernetes.io/azure-load-balancer-ipv4": "203.0.113.7" },
    ])
      denied(request("CREATE", ALICE, annotated("Service", a)), "tenancy-services", /reserves/);
    denied(
      request("CREATE", ALICE, service("alice", { loadBalancerIP: "203.0.113.7" })),
      "tenancy-services",
      /loadBalancerIP/,
    );
    // what the controller offers tenants stays theirs
    allowed(
      request("CREATE", ALICE, annotated("Ingress", { "nginx.ingress.kubernetes.io/rewrite-target": "/" })),
    );
    allowed(request("CREATE", ALICE, annotated("Service", { "prometheus.io/scrape": "true" })));
    // the list is the environment's: a key that is no annotation key is refused there
    const env = exampleEnvironmentData();
    env.admission.forbiddenAnnotations = ["not a key"];
    expect(() => exampleWithEnvironment(env)).toThrow(
      /admission\.forbiddenAnnotations\[0\]: .*is not an annotation key/,
    );
  });

  it("refuse Endpoints and EndpointSlices a tenant writes (CVE-2021-25740); the cluster's controllers write them", () => {
    const endpoints: Json = {
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: meta("alice", "web"),
      subsets: [{ addresses: [{ ip: "10.244.3.17" }], ports: [{ port: 8200 }] }],
    };
    const slice: Json = {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: meta("alice", "web-abcde", { "kubernetes.io/service-name": "web" }),
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.244.3.17"] }],
      ports: [{ port: 8200 }],
    };
    denied(request("CREATE", ALICE, endpoints), "tenancy-services", /Endpoints and EndpointSlices/);
    denied(request("CREATE", ALICE, slice), "tenancy-services", /Endpoints and EndpointSlices/);
    const controller = (sa: string) => ({ username: `system:serviceaccount:kube-system:${sa}`, groups: [] });
    allowed(request("CREATE", controller("endpoint-controller"), endpoints));
    allowed(request("CREATE", controller("endpointslice-controller"), slice));
  });

  it("refuse externalIPs, and Service types the tier does not allow", () => {
    allowed(request("CREATE", ALICE, service("alice", {})));
    allowed(request("CREATE", ALICE, service("alice", { type: "ClusterIP" })));
    denied(
      request("CREATE", ALICE, service("alice", { externalIPs: ["10.0.0.10"] })),
      "tenancy-services",
      /CVE-2020-8554/,
    );
    denied(
      request("CREATE", ALICE, service("alice", { type: "LoadBalancer" })),
      "tenancy-services",
      /Service type/,
    );
    denied(
      request("CREATE", ALICE, service("alice", { type: "ExternalName", externalName: "bob-prod.svc" })),
      "tenancy-services",
    );
    denied(request("CREATE", ALICE, service("alice", { type: "NodePort" })), "tenancy-services");
    // bob's tier (team) allows load balancers, and still no externalIPs
    allowed(request("CREATE", BOB, service("bob-prod", { type: "LoadBalancer" })));
    denied(
      request("CREATE", BOB, service("bob-prod", { type: "LoadBalancer", externalIPs: ["1.2.3.4"] })),
      "tenancy-services",
    );
  });

  it("refuse a claim naming a volumeName, even from a controller; only the binder sets it later", () => {
    allowed(request("CREATE", ALICE, pvc({})));
    denied(request("CREATE", ALICE, pvc({ volumeName: "pv-of-bob" })), "tenancy-services", /volumeName/);
    denied(request("CREATE", RS_CONTROLLER, pvc({ volumeName: "pv-of-bob" })), "tenancy-services");
    const binder = { username: "system:serviceaccount:kube-system:persistent-volume-binder", groups: [] };
    allowed(request("UPDATE", binder, pvc({ volumeName: "pvc-123" }), pvc({})));
    denied(request("UPDATE", ALICE, pvc({ volumeName: "pv-of-bob" }), pvc({})), "tenancy-services");
  });
});

describe("workloads", () => {
  const pod = (spec: Json, ns = "alice"): Json => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: meta(ns, "p"),
    spec: { containers: [{ name: "c", image: "nginx:1.27" }], ...spec },
  });
  it("refuse a pod naming its node, on create; a kubelet's mirror pod may", () => {
    denied(request("CREATE", ALICE, pod({ nodeName: "gpu-node-1" })), "tenancy-workloads", /spec\.nodeName/);
    // through a Deployment the ReplicaSet controller creates it: denied all the same
    denied(
      request("CREATE", RS_CONTROLLER, pod({ nodeName: "gpu-node-1" })),
      "tenancy-workloads",
      /nodeName/,
    );
    allowed(
      request(
        "CREATE",
        { username: "system:node:gpu-node-1", groups: ["system:nodes"] },
        pod({ nodeName: "gpu-node-1" }),
      ),
    );
    allowed(request("CREATE", ALICE, pod({ nodeName: "" })));
  });

  it("refuse pod affinity that looks at other tenants' namespaces; the tenant's own are fine", () => {
    const term = (extra: Json) => ({
      labelSelector: { matchLabels: { app: "db" } },
      topologyKey: "kubernetes.io/hostname",
      ...extra,
    });
    const affinity = (kind: string, t: Json, preferred = false): Json => ({
      affinity: {
        [kind]: preferred
          ? { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: t }] }
          : { requiredDuringSchedulingIgnoredDuringExecution: [t] },
      },
    });
    allowed(request("CREATE", ALICE, pod(affinity("podAffinity", term({})))));
    allowed(
      request("CREATE", ALICE, pod(affinity("podAffinity", term({ namespaces: ["alice", "alice-dev"] })))),
    );
    for (const [kind, preferred] of [
      ["podAffinity", false],
      ["podAntiAffinity", false],
      ["podAffinity", true],
      ["podAntiAffinity", true],
    ] as const) {
      denied(
        request("CREATE", ALICE, pod(affinity(kind, term({ namespaces: ["bob-prod"] }), preferred))),
        "tenancy-workloads",
        /affinity/,
      );
      // an empty namespaceSelector is every namespace
      denied(
        request("CREATE", ALICE, pod(affinity(kind, term({ namespaceSelector: {} }), preferred))),
        "tenancy-workloads",
        /affinity/,
      );
    }
    // node affinity is another matter (the tier's node pools)
    allowed(request("CREATE", ALICE, pod({ affinity: { nodeAffinity: {} } })));
  });

  it("allow the tier's registries (Docker Hub short names are docker.io), refuse others", () => {
    allowed(request("CREATE", ALICE, pod({})));
    allowed(
      request("CREATE", ALICE, pod({ containers: [{ name: "c", image: "ghcr.io/acme/app@sha256:abc" }] })),
    );
    denied(
      request("CREATE", ALICE, pod({ containers: [{ name: "c", image: "evil.io/x:1" }] })),
      "tenancy-workloads",
      /registry/,
    );
    denied(
      request("CREATE", ALICE, pod({ initContainers: [{ name: "i", image: "registry.example.com/x" }] })),
      "tenancy-workloads",
    );
    // the team tier lists registry.example.com
    allowed(
      request(
        "CREATE",
        BOB,
        pod({ containers: [{ name: "c", image: "registry.example.com/x" }] }, "bob-prod"),
      ),
    );
    // pods made by controllers are checked all the same
    denied(
      request("CREATE", RS_CONTROLLER, pod({ containers: [{ name: "c", image: "evil.io/x" }] })),
      "tenancy-workloads",
    );
    // an ephemeral debug container is an image too
    const running = pod({});
    const debug = pod({ ephemeralContainers: [{ name: "d", image: "evil.io/shell" }] });
    denied(request("UPDATE", ALICE, debug, running, "ephemeralcontainers"), "tenancy-workloads");
  });

  it("allow only the tier's pull policies: Always in the example, so no cached private image runs unpulled", () => {
    const withPolicy = (imagePullPolicy?: string) =>
      pod({
        containers: [{ name: "c", image: "nginx:1.27", ...(imagePullPolicy ? { imagePullPolicy } : {}) }],
      });
    allowed(request("CREATE", ALICE, withPolicy("Always")));
    denied(request("CREATE", ALICE, withPolicy("IfNotPresent")), "tenancy-workloads", /imagePullPolicy/);
    denied(request("CREATE", ALICE, withPolicy("Never")), "tenancy-workloads");
    // a running pod's label change is not a new pull: not checked again
    allowed(request("UPDATE", ALICE, withPolicy("IfNotPresent"), withPolicy("IfNotPresent")));
  });

  it("refuse PriorityClasses the tier does not list, and inline volumes beyond the restricted types", () => {
    denied(
      request("CREATE", ALICE, pod({ priorityClassName: "system-node-critical" })),
      "tenancy-workloads",
      /PriorityClass/,
    );
    denied(
      request("CREATE", ALICE, pod({ volumes: [{ name: "n", nfs: { server: "10.0.0.5", path: "/" } }] })),
      "tenancy-workloads",
      /volume types/,
    );
    allowed(
      request(
        "CREATE",
        ALICE,
        pod({ volumes: [{ name: "d", persistentVolumeClaim: { claimName: "data" } }] }),
      ),
    );
  });

  it("require a RuntimeClass where the tier does", () => {
    const env = exampleEnvironmentData();
    env.tiers.standard.admission = { runtimeClasses: ["gvisor"], requireRuntimeClass: true };
    const sandboxed = exampleWithEnvironment(env);
    return buildPlan(sandboxed, LAYERS).then((p) => {
      const c = clusterOf(p);
      const decide2 = (r: Request) => admit(c.pairs, c.cluster, r);
      expect(decide2(request("CREATE", ALICE, pod({})))).toMatchObject({
        allowed: false,
        policy: "tenancy-workloads",
      });
      expect(decide2(request("CREATE", ALICE, pod({ runtimeClassName: "runc" })))).toMatchObject({
        allowed: false,
      });
      expect(decide2(request("CREATE", ALICE, pod({ runtimeClassName: "gvisor" })))).toMatchObject({
        allowed: true,
      });
    });
  });
});

describe("the CI identity (shared mode)", () => {
  it("pipeline pods cannot run as it nor mint its tokens; its own Deployment's pods can", async () => {
    const shared = exampleWithSharedCi();
    const c = clusterOf(await buildPlan(shared, LAYERS));
    const ci = shared.environment.ci.shared!;
    c.cluster.namespaces[ci.namespace] = { [NAMESPACE_NAME_LABEL]: ci.namespace };
    // the policy only shared mode has validates against the Kubernetes schema like the others
    const ciPair = c.pairs.find(
      (p) => (p.policy.metadata as { name: string }).name === "tenancy-ci-identity",
    )!;
    validateK8sObject(ciPair.policy);
    validateK8sObject(ciPair.binding);
    const verdictOf = (r: Request) => {
      const d = admit(c.pairs, c.cluster, r);
      return d.allowed ? "allowed" : `${d.policy}: ${d.message}`;
    };
    const agent = { username: `system:serviceaccount:${ci.namespace}:agent`, groups: [] };
    const p: Json = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: meta(ci.namespace, "pipeline-1"),
      spec: { serviceAccountName: ci.serviceAccount, containers: [{ name: "c", image: "alpine" }] },
    };
    expect(verdictOf(request("CREATE", agent, p))).toMatch(/^tenancy-ci-identity: .*pipeline pod may not/);
    // the deprecated field names the service account as well
    const legacyField = {
      ...p,
      spec: { serviceAccount: ci.serviceAccount, containers: [{ name: "c", image: "alpine" }] },
    };
    expect(verdictOf(request("CREATE", agent, legacyField))).toMatch(/^tenancy-ci-identity: /);
    expect(verdictOf(request("CREATE", RS_CONTROLLER, p))).toBe("allowed");
    // another service account in the same namespace: a pipeline's own
    const own = {
      ...p,
      spec: { serviceAccountName: "pipeline", containers: [{ name: "c", image: "alpine" }] },
    };
    expect(verdictOf(request("CREATE", agent, own))).toBe("allowed");
    const token: Request = {
      ...request("CREATE", agent, p),
      kind: { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" },
      resource: { group: "", version: "v1", resource: "serviceaccounts" },
      subResource: "token",
      name: ci.serviceAccount,
      object: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { audiences: ["vault"] },
      },
    };
    expect(verdictOf(token)).toMatch(/^tenancy-ci-identity: .*issued by the kubelet/);
    expect(
      verdictOf({ ...token, user: { username: "system:node:worker-1", groups: ["system:nodes"] } }),
    ).toBe("allowed");
  });

  it("cannot be the namespace's default service account", () => {
    const env = withSharedCi(exampleEnvironmentData());
    env.ci.shared.serviceAccount = "default";
    expect(() => exampleWithEnvironment(env)).toThrow(/ci\.shared\.serviceAccount: cannot be "default"/);
  });
});

describe("the platform's own pods meet the tier's allowances", () => {
  it("the registry rule in TypeScript (for validation) is the policy's CEL rule", async () => {
    const images = [
      "nginx",
      "nginx:1.27",
      "library/nginx",
      "docker.io/library/nginx",
      "quay.io/jupyter/minimal-notebook:2024-05-27",
      "ghcr.io/acme/app@sha256:abc",
      "ghcr.io/acme-evil/app",
      "localhost/x",
      "registry.example.com:5000/team/app",
      "registry.example.com/team/app",
      "evil.io/x",
    ];
    const lists = [
      ["*"],
      ["docker.io"],
      ["ghcr.io/acme", "quay.io"],
      ["registry.example.com:5000"],
      ["localhost"],
    ];
    for (const registries of lists) {
      const env = exampleEnvironmentData();
      env.defaults.admission = { registries };
      // a tenant without apps: the example's would not pass validation under every list
      const c = clusterOf(
        await buildPlan(registryOf({ alice: { email: "alice@example.com" } }, env), LAYERS),
      );
      for (const image of images) {
        const pod = {
          apiVersion: "v1",
          kind: "Pod",
          metadata: meta("alice", "p"),
          spec: { containers: [{ name: "c", image }] },
        };
        const d = admit(c.pairs, c.cluster, request("CREATE", ALICE, pod));
        expect(d.allowed, `${image} under ${registries}`).toBe(imageAllowed(image, registries));
      }
    }
    // not vacuous: each list allows some and refuses some of the images (but "*")
    expect(images.filter((i) => imageAllowed(i, ["ghcr.io/acme", "quay.io"]))).toEqual([
      "quay.io/jupyter/minimal-notebook:2024-05-27",
      "ghcr.io/acme/app@sha256:abc",
    ]);
  });

  it("an app whose image the tier does not allow is refused at validation, not at the pod", () => {
    const env = exampleEnvironmentData();
    env.defaults.admission = { registries: ["ghcr.io"] };
    expect(() => exampleWithEnvironment(env)).toThrow(
      /tenants\/alice\.yaml: apps\[0\]\.name: app "jupyter" runs "quay\.io\/jupyter\/minimal-notebook:2024-05-27", from a registry the tier "standard" does not allow \(registries: ghcr\.io\)/,
    );
  });

  it("a tier requiring a sandboxed runtime gets it on its app instances' pods, which the policy admits", async () => {
    const env = exampleEnvironmentData();
    env.tiers.standard.admission = { runtimeClasses: ["gvisor"], requireRuntimeClass: true };
    const p = await buildPlan(exampleWithEnvironment(env), LAYERS);
    const deployment = p.stacks
      .flatMap((s) => s.resources)
      .find(
        (r) =>
          r.inputs.kind === "Deployment" &&
          (r.inputs.metadata as { namespace: string }).namespace === "alice",
      )!;
    const template = (deployment.inputs.spec as { template: { metadata: Json; spec: Json } }).template;
    expect(template.spec.runtimeClassName).toBe("gvisor");
    const c = clusterOf(p);
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { ...template.metadata, name: "jupyter-1", namespace: "alice" },
      spec: template.spec,
    };
    expect(admit(c.pairs, c.cluster, request("CREATE", RS_CONTROLLER, pod))).toMatchObject({ allowed: true });
  });
});
