/**
 * The platform's own components in tenant namespaces, admitted (issue 25; ARCHITECTURE.md, "Admission"): the
 * requests cert-manager, Vault's Kubernetes secrets engine, the ingress controller, the Pulumi Kubernetes
 * Operator's workspaces, tenancy's own deployers and Kubernetes' controllers send into tenant namespaces, built
 * as their sources build them (each cited where it is built: user, groups, operation, subresource, object,
 * oldObject), evaluated against the planned policies with an independent CEL implementation
 * (test/helpers/admission.ts). Every flow is admitted; each group has a control that breaks the planned policy
 * (drops an exemption) and sees a flow of it denied, so the suite can fail.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { LAYERS } from "../../../stacks/layers";
import { CONTROLLERS } from "../../../components/admission/cel";
import { type Plan, buildPlan } from "../../../plan/plan";
import type { RegistryModel } from "../../../registry/model";
import { operatorAdmissionWarnings } from "../../../deploy/operator";
import {
  type Cluster,
  type Decision,
  type PolicyPair,
  type Request,
  admit,
  clusterOf,
} from "../../helpers/admission";
import { plannedObject } from "../../helpers/verdicts";
import { exampleEnvironmentData, exampleWithEnvironment, loadExample } from "../../plan/registries";

type Json = Record<string, unknown>;
type User = Request["user"];

/** A service account as the API server authenticates it: its user and its groups. */
const serviceAccount = (namespace: string, name: string): User => ({
  username: `system:serviceaccount:${namespace}:${name}`,
  groups: ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"],
});
const ALICE: User = { username: "oidc:alice@example.com", groups: ["system:authenticated"] };
// cert-manager's Helm chart runs its controller as the service account cert-manager of its namespace
const CERT_MANAGER = serviceAccount("cert-manager", "cert-manager");
const VAULT = serviceAccount("vault", "vault");
// ingress-nginx's Helm chart: the controller's service account is ingress-nginx, in the environment's
// network.ingressController.namespace (ingress-nginx in the example)
const INGRESS_NGINX = serviceAccount("ingress-nginx", "ingress-nginx");
// the operator's Workspace runs as spec.serviceAccountName, default "default" (pulumi-kubernetes-operator
// operator/api/auto/v1alpha1/workspace_types.go, WorkspaceSpec), in the Stack's namespace (tenancy operator's
// --namespace, default pulumi-operator)
const OPERATOR_WORKSPACE = serviceAccount("pulumi-operator", "default");
/** Kubernetes' controllers with service account credentials (kube-controller-manager --use-service-account-credentials). */
const controller = (name: string) => serviceAccount("kube-system", name);
/** ... and without: every controller as the controller manager's own user. */
const KCM: User = { username: "system:kube-controller-manager", groups: ["system:authenticated"] };

const GVR: Record<string, [group: string, version: string, resource: string]> = {
  Pod: ["", "v1", "pods"],
  Service: ["", "v1", "services"],
  Secret: ["", "v1", "secrets"],
  ConfigMap: ["", "v1", "configmaps"],
  Event: ["", "v1", "events"],
  Endpoints: ["", "v1", "endpoints"],
  ServiceAccount: ["", "v1", "serviceaccounts"],
  ResourceQuota: ["", "v1", "resourcequotas"],
  PersistentVolumeClaim: ["", "v1", "persistentvolumeclaims"],
  TokenRequest: ["", "v1", "serviceaccounts"],
  EndpointSlice: ["discovery.k8s.io", "v1", "endpointslices"],
  Ingress: ["networking.k8s.io", "v1", "ingresses"],
  NetworkPolicy: ["networking.k8s.io", "v1", "networkpolicies"],
  Role: ["rbac.authorization.k8s.io", "v1", "roles"],
  RoleBinding: ["rbac.authorization.k8s.io", "v1", "rolebindings"],
  Deployment: ["apps", "v1", "deployments"],
  ReplicaSet: ["apps", "v1", "replicasets"],
  Lease: ["coordination.k8s.io", "v1", "leases"],
  Certificate: ["cert-manager.io", "v1", "certificates"],
  CertificateRequest: ["cert-manager.io", "v1", "certificaterequests"],
  Order: ["acme.cert-manager.io", "v1", "orders"],
  Challenge: ["acme.cert-manager.io", "v1", "challenges"],
};

/**
 * An admission request as the API server hands it to the policies: for a subresource (`status`, `token`) the
 * resource is its parent's and `request.kind` the kind sent (a TokenRequest for `serviceaccounts/token`).
 */
function req(
  operation: Request["operation"],
  user: User,
  object: Json | null,
  oldObject: Json | null = null,
  opts: { subResource?: string; name?: string; namespace?: string; resourceOf?: string } = {},
): Request {
  const obj = (object ?? oldObject)!;
  const kind = String(obj.kind);
  const [group, version, resource] = GVR[opts.resourceOf ?? kind]!;
  const kindGroup = kind === "TokenRequest" ? "authentication.k8s.io" : group;
  const meta = (obj.metadata ?? {}) as { name?: string; namespace?: string };
  return {
    operation,
    kind: { group: kindGroup, version, kind },
    resource: { group, version, resource },
    ...(opts.subResource ? { subResource: opts.subResource } : {}),
    namespace: opts.namespace ?? meta.namespace ?? "",
    name: opts.name ?? meta.name ?? "",
    user,
    object,
    oldObject,
  };
}

let model: RegistryModel;
let plan: Plan;
let pairs: PolicyPair[];
let cluster: Cluster;
beforeAll(async () => {
  model = await loadExample();
  plan = await buildPlan(model, LAYERS);
  ({ pairs, cluster } = clusterOf(plan));
});

const verdict = (d: Decision) => (d.allowed ? "allowed" : `${d.policy}: ${d.message}`);
/** Every request admitted by the planned policies (`p`: others, e.g. a control's). */
function admitted(requests: Request[], p: PolicyPair[] = pairs, c: Cluster = cluster) {
  for (const r of requests)
    expect(
      verdict(admit(p, c, r)),
      `${r.operation} ${r.resource.resource}${r.subResource ? `/${r.subResource}` : ""} ${r.namespace}/${r.name} by ${r.user.username}`,
    ).toBe("allowed");
}
function deniedBy(r: Request, policy: string, p: PolicyPair[] = pairs, c: Cluster = cluster) {
  const d = admit(p, c, r);
  expect(d.allowed ? "allowed" : d.policy, verdict(d)).toBe(policy);
}
/** Whether any policy applied to the request (matched it and did not exempt its user). */
const applied = (r: Request) => {
  const d = admit(pairs, cluster, r);
  return d.allowed ? d.applied : [d.policy];
};

/** The planned policies with one of them mutated: the control of a flow. */
function broken(name: string, change: (policy: Json) => void): PolicyPair[] {
  const copy = structuredClone(pairs);
  const pair = copy.find((p) => (p.policy.metadata as { name: string }).name === name);
  if (!pair) throw new Error(`no planned policy ${name}`);
  change(pair.policy);
  return copy;
}
/** The policy without its exemptions: its match condition holds for everyone. */
const withoutExemption = (name: string) =>
  broken(name, (p) => {
    (p.spec as { matchConditions: { expression: string }[] }).matchConditions[0]!.expression = "true";
  });

const meta = (namespace: string, name: string, labels?: Record<string, string>, more: Json = {}) => ({
  name,
  namespace,
  ...(labels ? { labels } : {}),
  ...more,
});
const ownedBy = (apiVersion: string, kind: string, name: string) => ({
  ownerReferences: [
    { apiVersion, kind, name, uid: `uid-${name}`, controller: true, blockOwnerDeletion: true },
  ],
});
/** A planned object of the main cluster, as the plan would create it. */
const planned = (kind: string, namespace: string, name: string): Json =>
  plannedObject(plan, kind, namespace, name);
const labelsOf = (o: Json) =>
  ((o.metadata as { labels?: Record<string, string> }).labels ?? {}) as Record<string, string>;
const nameOf = (o: Json) => (o.metadata as { name: string }).name;
const withStatus = (o: Json, status: Json): Json => ({ ...structuredClone(o), status });

// cert-manager ---------------------------------------------------------------------------------------------

const CSR = Buffer.from("-----BEGIN CERTIFICATE REQUEST-----\n...\n").toString("base64");
/**
 * The CertificateRequest cert-manager's request manager makes from a Certificate
 * (pkg/controller/certificates/requestmanager/requestmanager_controller.go, createNewCertificateRequest): the
 * Certificate's labels and annotations, the certificate name and private-key annotations, the Certificate as
 * controller owner, its issuerRef and usages.
 */
function certificateRequestFrom(crt: Json, revision = 1): Json {
  const m = crt.metadata as { name: string; namespace: string; labels?: Json; annotations?: Json };
  const spec = crt.spec as { issuerRef: Json; usages?: string[]; secretName: string };
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "CertificateRequest",
    metadata: meta(m.namespace, `${m.name}-${revision}`, m.labels as Record<string, string> | undefined, {
      annotations: {
        ...(m.annotations ?? {}),
        "cert-manager.io/certificate-name": m.name,
        "cert-manager.io/certificate-revision": String(revision),
        "cert-manager.io/private-key-secret-name": `${spec.secretName}-x7k2p`,
      },
      ...ownedBy("cert-manager.io/v1", "Certificate", m.name),
    }),
    spec: {
      request: CSR,
      issuerRef: spec.issuerRef,
      usages: spec.usages ?? ["digital signature", "key encipherment"],
    },
  };
}
/** The ACME Order the ACME issuer makes from a CertificateRequest (pkg/issuer/acme/acme.go, buildOrder): its labels and annotations too. */
function orderFrom(cr: Json, dnsNames: string[]): Json {
  const m = cr.metadata as {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Json;
  };
  return {
    apiVersion: "acme.cert-manager.io/v1",
    kind: "Order",
    metadata: meta(m.namespace, `${m.name}-3127416582`, m.labels, {
      annotations: m.annotations,
      ...ownedBy("cert-manager.io/v1", "CertificateRequest", m.name),
    }),
    spec: { request: CSR, issuerRef: (cr.spec as Json).issuerRef, dnsNames },
  };
}
/** A Challenge the orders controller makes from an Order (pkg/controller/acmeorders/util.go, buildPartialChallenge): no labels. */
function challengeFrom(order: Json, dnsName: string, solver: Json, type: "HTTP-01" | "DNS-01"): Json {
  const m = order.metadata as { name: string; namespace: string };
  return {
    apiVersion: "acme.cert-manager.io/v1",
    kind: "Challenge",
    metadata: meta(
      m.namespace,
      `${m.name}-1054285384`,
      undefined,
      ownedBy("acme.cert-manager.io/v1", "Order", m.name),
    ),
    spec: {
      url: "https://acme-v02.api.letsencrypt.org/acme/chall-v3/1/abc",
      authorizationURL: "https://acme-v02.api.letsencrypt.org/acme/authz-v3/1",
      dnsName,
      wildcard: false,
      type,
      token: "t",
      key: "k",
      solver,
      issuerRef: (order.spec as Json).issuerRef,
    },
  };
}
/**
 * The Secret the issuing controller writes the certificate into (pkg/controller/certificates/issuing/internal/
 * secret.go, SecretsManager.UpdateData): type kubernetes.io/tls, the certificate's name and issuer in
 * annotations, the label marking it for cert-manager's cache, the Certificate's secretTemplate labels.
 */
function certificateSecret(crt: Json): Json {
  const m = crt.metadata as { name: string; namespace: string };
  const spec = crt.spec as {
    secretName: string;
    issuerRef: { name: string; kind: string; group: string };
    dnsNames: string[];
  };
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: "kubernetes.io/tls",
    metadata: meta(
      m.namespace,
      spec.secretName,
      { "controller.cert-manager.io/fao": "true" },
      {
        annotations: {
          "cert-manager.io/certificate-name": m.name,
          "cert-manager.io/issuer-name": spec.issuerRef.name,
          "cert-manager.io/issuer-kind": spec.issuerRef.kind,
          "cert-manager.io/issuer-group": spec.issuerRef.group,
          "cert-manager.io/alt-names": spec.dnsNames.join(","),
          "cert-manager.io/common-name": "",
        },
      },
    ),
    data: { "tls.crt": "Y2VydA==", "tls.key": "a2V5", "ca.crt": "" },
  };
}
/** An Event a component's recorder posts about an object in a tenant namespace (client-go tools/record). */
const event = (namespace: string, about: Json, reason: string, component: string): Json => ({
  apiVersion: "v1",
  kind: "Event",
  metadata: meta(namespace, `${nameOf(about)}.17e2c3b0a1b2c3d4`),
  involvedObject: { apiVersion: about.apiVersion, kind: about.kind, name: nameOf(about), namespace },
  reason,
  message: reason,
  type: "Normal",
  source: { component },
  count: 1,
});

// an HTTP-01 challenge's pod, Service and Ingress as cert-manager writes them (pkg/issuer/acme/http: pod.go,
// service.go, ingress.go): its labels, its own image pulled IfNotPresent, a NodePort Service by default
const SOLVER_LABELS = {
  "acme.cert-manager.io/http-domain": "1054285384",
  "acme.cert-manager.io/http-token": "1036429178",
  "acme.cert-manager.io/http01-solver": "true",
};
const CHALLENGE_OWNER = ownedBy("acme.cert-manager.io/v1", "Challenge", "web-tls-1-3127416582-1054285384");
const solverPod: Json = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: meta("alice", "cm-acme-http-solver-x7k2p", SOLVER_LABELS, CHALLENGE_OWNER),
  spec: {
    restartPolicy: "OnFailure",
    nodeSelector: { "kubernetes.io/os": "linux" },
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers: [
      {
        name: "acmesolver",
        image: "quay.io/jetstack/cert-manager-acmesolver:v1.16.2",
        imagePullPolicy: "IfNotPresent",
        args: ["--listen-port=8089", "--domain=alice.example.com", "--token=t", "--key=k"],
        ports: [{ name: "http", containerPort: 8089 }],
        securityContext: {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
          readOnlyRootFilesystem: true,
        },
      },
    ],
  },
};
const solverService: Json = {
  apiVersion: "v1",
  kind: "Service",
  metadata: meta("alice", "cm-acme-http-solver-q8d4s", SOLVER_LABELS, CHALLENGE_OWNER),
  spec: {
    type: "NodePort",
    selector: SOLVER_LABELS,
    ports: [{ name: "http", port: 8089, targetPort: 8089 }],
  },
};
const solverIngress: Json = {
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: meta("alice", "cm-acme-http-solver-m2v7r", SOLVER_LABELS, CHALLENGE_OWNER),
  spec: {
    ingressClassName: "nginx-internal",
    rules: [
      {
        host: "alice.example.com",
        http: {
          paths: [
            {
              path: "/.well-known/acme-challenge/t",
              pathType: "ImplementationSpecific",
              backend: { service: { name: "cm-acme-http-solver-q8d4s", port: { number: 8089 } } },
            },
          ],
        },
      },
    ],
  },
};
/** A tenant's own Certificate, as alice writes it. */
const tenantCertificate: Json = {
  apiVersion: "cert-manager.io/v1",
  kind: "Certificate",
  metadata: meta("alice", "web-tls", { app: "web" }),
  spec: {
    secretName: "web-tls",
    dnsNames: ["alice.example.com", "www.alice.example.com"],
    issuerRef: { name: "letsencrypt-prod", kind: "ClusterIssuer", group: "cert-manager.io" },
  },
};
const HTTP01 = { http01: { ingress: { ingressClassName: "nginx" } } };
const DNS01 = {
  dns01: { cloudflare: { apiTokenSecretRef: { name: "cloudflare-api-token", key: "api-token" } } },
};

/** What cert-manager sends for one Certificate: request, order, challenges (with their status), the Secret, events; cleanup. */
function certManagerFlow(crt: Json, solver: Json, type: "HTTP-01" | "DNS-01"): Request[] {
  const dnsNames = (crt.spec as { dnsNames: string[] }).dnsNames;
  const ns = (crt.metadata as { namespace: string }).namespace;
  const cr = certificateRequestFrom(crt);
  const order = orderFrom(cr, dnsNames);
  const challenges = dnsNames.map((d) => challengeFrom(order, d, solver, type));
  const secret = certificateSecret(crt);
  // the key manager's next private key, a Secret of its own until issuance (pkg/controller/certificates/
  // keymanager/keymanager_controller.go): generateName, its label, the Certificate as owner
  const nextKey: Json = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta(
      ns,
      `${nameOf(crt)}-x7k2p`,
      { "cert-manager.io/next-private-key": "true" },
      ownedBy("cert-manager.io/v1", "Certificate", nameOf(crt)),
    ),
    data: { "tls.key": "a2V5" },
  };
  const old = certificateRequestFrom(crt, 0);
  return [
    req("CREATE", CERT_MANAGER, nextKey),
    req("CREATE", CERT_MANAGER, cr),
    req("UPDATE", CERT_MANAGER, withStatus(cr, { conditions: [{ type: "Approved", status: "True" }] }), cr, {
      subResource: "status",
    }),
    req("CREATE", CERT_MANAGER, order),
    req("UPDATE", CERT_MANAGER, withStatus(order, { state: "pending" }), order, { subResource: "status" }),
    ...challenges.flatMap((ch) => [
      req("CREATE", CERT_MANAGER, ch),
      // the challenge's finalizer, then its status (pkg/controller/acmechallenges/sync.go)
      req(
        "UPDATE",
        CERT_MANAGER,
        { ...ch, metadata: { ...(ch.metadata as Json), finalizers: ["acme.cert-manager.io/finalizer"] } },
        ch,
      ),
      req(
        "UPDATE",
        CERT_MANAGER,
        withStatus(ch, { processing: true, presented: true, state: "pending" }),
        ch,
        { subResource: "status" },
      ),
      req("DELETE", CERT_MANAGER, null, ch),
    ]),
    req("CREATE", CERT_MANAGER, secret),
    req("UPDATE", CERT_MANAGER, secret, secret),
    req(
      "UPDATE",
      CERT_MANAGER,
      withStatus(crt, { conditions: [{ type: "Ready", status: "True" }], revision: 1 }),
      crt,
      { subResource: "status" },
    ),
    req("DELETE", CERT_MANAGER, null, nextKey),
    // the revision manager deletes requests beyond revisionHistoryLimit (pkg/controller/certificates/revisionmanager)
    req("DELETE", CERT_MANAGER, null, old),
    req("CREATE", CERT_MANAGER, event(ns, crt, "Issuing", "cert-manager-certificates-issuing")),
  ];
}

describe("cert-manager in tenant namespaces", () => {
  it("HTTP-01 for a tenant's Certificate: request, order, challenges, solver pod, Service and Ingress, the Secret", () => {
    admitted([
      ...certManagerFlow(tenantCertificate, HTTP01, "HTTP-01"),
      ...[solverPod, solverService, solverIngress].flatMap((o) => [
        req("CREATE", CERT_MANAGER, o),
        req("DELETE", CERT_MANAGER, null, o),
      ]),
    ]);
    // the tenant's own Certificate, the request cert-manager makes from it, are checked on their hostnames
    expect(applied(req("CREATE", CERT_MANAGER, certificateRequestFrom(tenantCertificate)))).toContain(
      "tenancy-hostnames",
    );
  });

  it("DNS-01: challenges and no solver pod", () => {
    const flow = certManagerFlow(tenantCertificate, DNS01, "DNS-01");
    expect(flow.some((r) => r.kind.kind === "Pod")).toBe(false);
    admitted(flow);
  });

  it("the platform's own Certificates (namespace TLS, app instances): cert-manager's requests and orders carry their labels", () => {
    for (const name of ["tenant-tls", "jupyter-tls"]) {
      const crt = planned("Certificate", "alice", name);
      expect(labelsOf(crt)["app.kubernetes.io/managed-by"]).toBe("tenancy");
      const flow = certManagerFlow(crt, HTTP01, "HTTP-01");
      // the labels travel: Certificate -> CertificateRequest -> Order (the sources above)
      const order = flow.find((r) => r.kind.kind === "Order")!.object!;
      expect(labelsOf(order)["app.kubernetes.io/managed-by"]).toBe("tenancy");
      admitted(flow);
    }
  });

  it("ingress-shim: the Certificate cert-manager makes from a tenant's annotated Ingress (its labels, its TLS hosts)", () => {
    const web: Json = {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: meta(
        "alice",
        "web",
        { app: "web" },
        { annotations: { "cert-manager.io/cluster-issuer": "letsencrypt-prod" } },
      ),
      spec: {
        ingressClassName: "nginx",
        tls: [{ hosts: ["alice.example.com"], secretName: "web-tls" }],
        rules: [
          {
            host: "alice.example.com",
            http: {
              paths: [
                {
                  path: "/",
                  pathType: "Prefix",
                  backend: { service: { name: "web", port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    };
    // pkg/controller/certificate-shim/sync.go, buildCertificates: named after the TLS secret, the Ingress's
    // labels, the Ingress as controller owner, the hosts of that TLS entry, the issuer of the annotation
    const shim: Json = {
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: meta("alice", "web-tls", { app: "web" }, ownedBy("networking.k8s.io/v1", "Ingress", "web")),
      spec: {
        dnsNames: ["alice.example.com"],
        secretName: "web-tls",
        issuerRef: { name: "letsencrypt-prod", kind: "ClusterIssuer", group: "cert-manager.io" },
        usages: ["digital signature", "key encipherment"],
      },
    };
    admitted([
      req("CREATE", ALICE, web),
      req("CREATE", CERT_MANAGER, shim),
      req("UPDATE", CERT_MANAGER, shim, shim),
    ]);
    // cert-manager is no way around the hostnames policy: a shim Certificate for bob's host is refused
    const bobs = structuredClone(shim);
    (bobs.spec as { dnsNames: string[] }).dnsNames = ["bob.example.com"];
    deniedBy(req("CREATE", CERT_MANAGER, bobs), "tenancy-hostnames");
  });

  it("controls: the same objects from anyone else are held to the tier; without cert-manager's exemptions they are denied", () => {
    deniedBy(req("CREATE", ALICE, solverPod), "tenancy-workloads");
    deniedBy(req("CREATE", controller("replicaset-controller"), solverPod), "tenancy-workloads");
    deniedBy(req("CREATE", ALICE, solverService), "tenancy-services");
    deniedBy(
      req("CREATE", CERT_MANAGER, { ...solverPod, metadata: meta("alice", "other") }),
      "tenancy-workloads",
    );
    deniedBy(req("CREATE", ALICE, certificateRequestFrom(tenantCertificate)), "tenancy-hostnames");
    // the solver's exemption dropped from the workloads policy
    deniedBy(
      req("CREATE", CERT_MANAGER, solverPod),
      "tenancy-workloads",
      withoutExemption("tenancy-workloads"),
    );
    // cert-manager's exemption dropped from the platform-objects policy: the platform Certificate's request is refused
    const cr = certificateRequestFrom(planned("Certificate", "alice", "tenant-tls"));
    deniedBy(
      req("CREATE", CERT_MANAGER, cr),
      "tenancy-platform-objects",
      withoutExemption("tenancy-platform-objects"),
    );
    // and a tenant cannot label its own request as the platform's
    deniedBy(
      req("CREATE", ALICE, { ...tenantCertificate, metadata: meta("alice", "x", labelsOf(cr)) }),
      "tenancy-platform-objects",
    );
  });
});

// Vault's Kubernetes secrets engine ------------------------------------------------------------------------

describe("Vault's Kubernetes secrets engine: the deployer's service account, binding and tokens", () => {
  /**
   * A deployer credential as path_creds.go makes it for a role naming an existing Role (kubernetes_role_name):
   * the RoleBinding first, the ServiceAccount owned by it, then a TokenRequest for it; revocation deletes both.
   * Labels: the role's extra labels, then the engine's own over them (client.go, standardLabels, set last).
   */
  function deployerCredential() {
    const role = plan.stacks
      .flatMap((s) => s.resources)
      .find(
        (r) =>
          r.type === "vault:kubernetes/secretBackendRole:SecretBackendRole" &&
          r.inputs.name === "alice-deployer",
      )!;
    const labels = {
      ...(role.inputs.extraLabels as Record<string, string>),
      "app.kubernetes.io/managed-by": "HashiCorp-Vault",
      "app.kubernetes.io/created-by": "vault-plugin-secrets-kubernetes",
    };
    const name = "v-token-alice-deployer-1733590000-abcd";
    const binding: Json = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: meta("alice", name, labels),
      subjects: [{ kind: "ServiceAccount", name, namespace: "alice" }],
      roleRef: { kind: "Role", name: String(role.inputs.kubernetesRoleName) },
    };
    const sa: Json = {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: meta("alice", name, labels, ownedBy("rbac.authorization.k8s.io/v1", "RoleBinding", name)),
    };
    // client.go createToken: only expirationSeconds, the role's TTL (capped by its token_max_ttl)
    const ttl = Math.min(Number(role.inputs.tokenDefaultTtl), Number(role.inputs.tokenMaxTtl));
    const token: Json = {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      metadata: { name, namespace: "alice" },
      spec: { expirationSeconds: ttl },
    };
    const maxToken: Json = { ...token, spec: { expirationSeconds: Number(role.inputs.tokenMaxTtl) } };
    const tokenReq = (t: Json) =>
      req("CREATE", VAULT, t, null, { subResource: "token", resourceOf: "TokenRequest", name });
    return {
      role,
      labels,
      name,
      binding,
      sa,
      tokenReq,
      token,
      requests: [
        req("CREATE", VAULT, binding),
        req("CREATE", VAULT, sa),
        tokenReq(token),
        tokenReq(maxToken),
        req("DELETE", VAULT, null, sa),
        req("DELETE", VAULT, null, binding),
      ],
    };
  }

  it("makes, binds, mints for and removes a deployer service account", () => {
    const { role, requests } = deployerCredential();
    expect(role.inputs.extraLabels).toEqual({ "tenancy.io/tenant": "alice" });
    admitted(requests);
  });

  it("controls: were its objects to carry the platform's label, or bind another tenant's account, it would be denied", () => {
    const { sa, binding, labels, name } = deployerCredential();
    const platformLabelled = {
      ...sa,
      metadata: meta("alice", name, { ...labels, "app.kubernetes.io/managed-by": "tenancy" }),
    };
    deniedBy(req("CREATE", VAULT, platformLabelled), "tenancy-platform-objects");
    deniedBy(
      req("CREATE", VAULT, {
        ...binding,
        subjects: [{ kind: "ServiceAccount", name, namespace: "bob-prod" }],
      }),
      "tenancy-role-bindings",
    );
    // the credentials policy bounds Vault's tokens too: one beyond admission.maxTokenSeconds is refused (validation
    // keeps vault.deployer.maxTtlSeconds within it, so the engine never asks for one)
    const { tokenReq, token } = deployerCredential();
    const tooLong = {
      ...token,
      spec: { expirationSeconds: model.environment.admission.maxTokenSeconds + 1 },
    };
    deniedBy(tokenReq(tooLong), "tenancy-credentials");
  });
});

// the ingress controller -----------------------------------------------------------------------------------

describe("the ingress controller", () => {
  // internal/ingress/status/status.go (updateStatus): Get, set status.loadBalancer.ingress, UpdateStatus
  const status = { loadBalancer: { ingress: [{ ip: "203.0.113.10" }] } };
  it("writes the status of tenants' and the platform's Ingresses (ingresses/status), and events", () => {
    const tenants: Json = {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: meta("alice", "web", { app: "web" }),
      spec: { ingressClassName: "nginx", rules: [{ host: "alice.example.com" }] },
    };
    const platforms = planned("Ingress", "alice", "jupyter");
    expect(labelsOf(platforms)["app.kubernetes.io/managed-by"]).toBe("tenancy");
    admitted(
      [tenants, platforms].flatMap((o) => [
        req("UPDATE", INGRESS_NGINX, withStatus(o, status), o, { subResource: "status" }),
        req("CREATE", INGRESS_NGINX, event("alice", o, "Sync", "nginx-ingress-controller")),
      ]),
    );
  });

  it("its leader-election Lease lives in its own namespace, which no policy covers", () => {
    const ns = model.environment.network.ingressController.namespace;
    expect(cluster.namespaces[ns] ?? {}).not.toHaveProperty("tenancy.io/tenant");
    // the chart's election id (controller.electionID, default ingress-nginx-leader)
    const lease: Json = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: meta(ns, "ingress-nginx-leader"),
      spec: { holderIdentity: "ingress-nginx-controller-7d9f-abcde", leaseDurationSeconds: 30 },
    };
    expect(applied(req("CREATE", INGRESS_NGINX, lease))).toEqual([]);
    expect(applied(req("UPDATE", INGRESS_NGINX, lease, lease))).toEqual([]);
  });

  it("control: a policy matching every subresource, without the platform's exemptions, denies the status update", () => {
    const platforms = planned("Ingress", "alice", "jupyter");
    const bad = broken("tenancy-platform-objects", (p) => {
      const spec = p.spec as {
        matchConstraints: { resourceRules: { resources: string[] }[] };
        matchConditions: { expression: string }[];
      };
      spec.matchConstraints.resourceRules[0]!.resources = ["*", "*/*"];
      spec.matchConditions[0]!.expression = "true";
    });
    deniedBy(
      req("UPDATE", INGRESS_NGINX, withStatus(platforms, status), platforms, { subResource: "status" }),
      "tenancy-platform-objects",
      bad,
    );
  });
});

// the Pulumi Kubernetes Operator --------------------------------------------------------------------------

describe("the Pulumi Kubernetes Operator's workspaces", () => {
  /** What a workspace running the platform layer writes into a tenant namespace: the platform's objects. */
  const platformWrites = () => {
    const policy = planned("NetworkPolicy", "alice", "tenancy-default-deny");
    const params = planned("ConfigMap", "alice", "tenancy-admission");
    const quota = planned("ResourceQuota", "alice", "tenant-quota");
    const binding = planned("RoleBinding", "alice", "tenant-owner");
    return (user: User) => [
      req("UPDATE", user, policy, policy),
      req("CREATE", user, params),
      req("UPDATE", user, quota, quota),
      req("DELETE", user, null, binding),
      req("CREATE", user, binding),
    ];
  };

  it("are admitted once their service account is among admission.platform (and `tenancy operator` says so until it is)", async () => {
    const env = exampleEnvironmentData();
    env.admission.platform.users = [OPERATOR_WORKSPACE.username];
    const withOperator = clusterOf(await buildPlan(exampleWithEnvironment(env), LAYERS));
    admitted(platformWrites()(OPERATOR_WORKSPACE), withOperator.pairs, withOperator.cluster);
    // or by its namespace's service-account group
    const env2 = exampleEnvironmentData();
    env2.admission.platform.groups = [
      ...env2.admission.platform.groups,
      "system:serviceaccounts:pulumi-operator",
    ];
    const byGroup = clusterOf(await buildPlan(exampleWithEnvironment(env2), LAYERS));
    admitted(platformWrites()(OPERATOR_WORKSPACE), byGroup.pairs, byGroup.cluster);
    expect(operatorAdmissionWarnings(exampleWithEnvironment(env), { namespace: "pulumi-operator" })).toEqual(
      [],
    );
    expect(operatorAdmissionWarnings(exampleWithEnvironment(env2), {})).toEqual([]);
  });

  it("control: the example environment does not name it, so its writes are denied, and `tenancy operator` warns", () => {
    for (const r of platformWrites()(OPERATOR_WORKSPACE)) deniedBy(r, "tenancy-platform-objects");
    expect(operatorAdmissionWarnings(model, {})).toEqual([
      expect.stringMatching(
        /system:serviceaccount:pulumi-operator:default, which is not among admission\.platform.*tenancy-platform-objects/,
      ),
    ]);
    expect(operatorAdmissionWarnings(model, { namespace: "ops", serviceAccount: "tenancy" })).toEqual([
      expect.stringContaining("system:serviceaccount:ops:tenancy"),
    ]);
  });
});

// tenancy's own deployers ----------------------------------------------------------------------------------

describe("tenancy's deployers (the service accounts Vault mints for CI, components/vault and components/ci)", () => {
  const DEPLOYER = serviceAccount("alice", "v-token-alice-deployer-1733590000-abcd");
  const ingress = (host: string, name = "web"): Json => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: meta("alice", name),
    spec: {
      ingressClassName: "nginx",
      rules: [
        {
          host,
          http: {
            paths: [
              { path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } },
            ],
          },
        },
      ],
    },
  });
  const deployment: Json = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta("alice", "web", { app: "web" }),
    spec: {
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "web", image: "ghcr.io/acme/web:2.0", imagePullPolicy: "Always" }] },
      },
    },
  };
  const pod = (image: string): Json => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: meta("alice", "debug"),
    spec: { containers: [{ name: "c", image, imagePullPolicy: "Always" }] },
  });
  const service = (type: string): Json => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: meta("alice", "web"),
    spec: { type, selector: { app: "web" }, ports: [{ port: 80 }] },
  });
  const rolebinding = (subject: Json): Json => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: meta("alice", "ci-view"),
    subjects: [subject],
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
  });
  const cases = () => {
    const platformPolicy = planned("NetworkPolicy", "alice", "tenancy-default-deny");
    const changed = structuredClone(platformPolicy);
    (changed.spec as { policyTypes: string[] }).policyTypes = ["Ingress"];
    const updatedDeployment = structuredClone(deployment);
    (updatedDeployment.spec as { replicas?: number }).replicas = 3;
    return [
      ["a rollout", (u: User) => req("UPDATE", u, updatedDeployment, deployment), "allowed"],
      ["its own Ingress", (u: User) => req("CREATE", u, ingress("alice.example.com")), "allowed"],
      [
        "a pod from an allowed registry",
        (u: User) => req("CREATE", u, pod("ghcr.io/acme/web:2.0")),
        "allowed",
      ],
      ["a ClusterIP Service", (u: User) => req("CREATE", u, service("ClusterIP")), "allowed"],
      [
        "another tenant's hostname",
        (u: User) => req("CREATE", u, ingress("bob.example.com")),
        "tenancy-hostnames",
      ],
      [
        "a registry the tier does not list",
        (u: User) => req("CREATE", u, pod("evil.io/miner")),
        "tenancy-workloads",
      ],
      ["a NodePort Service", (u: User) => req("CREATE", u, service("NodePort")), "tenancy-services"],
      [
        "binding another tenant",
        (u: User) => req("CREATE", u, rolebinding({ kind: "User", name: "oidc:bob@example.com" })),
        "tenancy-role-bindings",
      ],
      [
        "changing the platform's NetworkPolicy",
        (u: User) => req("UPDATE", u, changed, platformPolicy),
        "tenancy-platform-objects",
      ],
      [
        "deleting the platform's NetworkPolicy",
        (u: User) => req("DELETE", u, null, platformPolicy),
        "tenancy-platform-objects",
      ],
    ] as const;
  };

  it("are admitted and denied exactly as the tenant's own requests are", () => {
    for (const [what, make, expected] of cases()) {
      const asTenant = admit(pairs, cluster, make(ALICE));
      const asDeployer = admit(pairs, cluster, make(DEPLOYER));
      expect(asDeployer.allowed ? "allowed" : asDeployer.policy, what).toBe(expected);
      expect(verdict(asDeployer), what).toBe(verdict(asTenant));
    }
  });

  it("control: were the deployer among the platform's principals, the platform's objects would be open to it", () => {
    const [, , , , , , , , [what, make]] = cases();
    const bad = broken("tenancy-platform-objects", (p) => {
      const mc = (p.spec as { matchConditions: { expression: string }[] }).matchConditions[0]!;
      mc.expression = `!(request.userInfo.username.startsWith("system:serviceaccount:alice:")) && ${mc.expression}`;
    });
    expect(admit(bad, cluster, make(DEPLOYER)).allowed, what).toBe(true);
    expect(admit(pairs, cluster, make(DEPLOYER)).allowed, what).toBe(false);
  });
});

// Kubernetes' controllers -----------------------------------------------------------------------------------

describe("Kubernetes' controllers", () => {
  const endpoints: Json = {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: meta("alice", "web", { app: "web" }),
    subsets: [
      {
        addresses: [{ ip: "10.42.0.7", targetRef: { kind: "Pod", name: "web-1", namespace: "alice" } }],
        ports: [{ port: 8080 }],
      },
    ],
  };
  // pkg/controller/endpointslice (reconciler.go, newEndpointSlice): its service-name and managed-by labels,
  // the Service as controller owner
  const slice: Json = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: meta(
      "alice",
      "web-7kq2f",
      {
        "kubernetes.io/service-name": "web",
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
      },
      ownedBy("v1", "Service", "web"),
    ),
    addressType: "IPv4",
    endpoints: [{ addresses: ["10.42.0.7"], conditions: { ready: true } }],
    ports: [{ name: "", port: 8080, protocol: "TCP" }],
  };

  it("the ReplicaSet controller makes pods for tenants' and the platform's Deployments (checked like any other pod)", () => {
    const platformDeployment = planned("Deployment", "alice", "jupyter");
    const template = (platformDeployment.spec as { template: { metadata: Json; spec: Json } }).template;
    const platformPod: Json = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        ...template.metadata,
        name: "jupyter-5d8f-abcde",
        namespace: "alice",
        ...ownedBy("apps/v1", "ReplicaSet", "jupyter-5d8f"),
      },
      spec: template.spec,
    };
    const tenantPod: Json = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: meta("alice", "web-7c9d-x2k4p", { app: "web" }, ownedBy("apps/v1", "ReplicaSet", "web-7c9d")),
      spec: { containers: [{ name: "web", image: "ghcr.io/acme/web:2.0", imagePullPolicy: "Always" }] },
    };
    for (const rs of [controller("replicaset-controller"), KCM])
      admitted([
        req("CREATE", rs, platformPod),
        req("CREATE", rs, tenantPod),
        req("DELETE", rs, null, platformPod),
      ]);
    // the deployment controller's ReplicaSet for the platform's Deployment carries its template's labels
    const rs: Json = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { ...template.metadata, name: "jupyter-5d8f", namespace: "alice" },
      spec: { template },
    };
    admitted([
      req("CREATE", controller("deployment-controller"), rs),
      req("UPDATE", controller("deployment-controller"), rs, rs),
    ]);
  });

  it("the garbage collector and namespace deletion remove the platform's objects", () => {
    const objects = [
      planned("NetworkPolicy", "alice", "tenancy-default-deny"),
      planned("ResourceQuota", "alice", "tenant-quota"),
      planned("ConfigMap", "alice", "tenancy-admission"),
      planned("RoleBinding", "alice", "tenant-owner"),
      planned("Certificate", "alice", "tenant-tls"),
    ];
    for (const who of [controller("generic-garbage-collector"), controller("namespace-controller"), KCM])
      admitted(objects.map((o) => req("DELETE", who, null, o)));
    // the garbage collector also drops a dangling owner reference: an update of a labelled object
    const orphan = { ...objects[0]!, metadata: { ...(objects[0]!.metadata as Json), ownerReferences: [] } };
    admitted([req("UPDATE", controller("generic-garbage-collector"), orphan, objects[0]!)]);
  });

  it("the endpoint, EndpointSlice and mirroring controllers write Endpoints and EndpointSlices; the volume binder binds claims", () => {
    const mirrored = {
      ...slice,
      metadata: meta("alice", "web-m8x4z", {
        "kubernetes.io/service-name": "web",
        "endpointslice.kubernetes.io/managed-by": "endpointslicemirroring-controller.k8s.io",
      }),
    };
    const claim = planned("PersistentVolumeClaim", "alice", "jupyter-data");
    const bound = structuredClone(claim);
    (bound.spec as { volumeName: string }).volumeName = "pvc-4f1c2a";
    for (const who of [controller("endpoint-controller"), KCM])
      admitted([
        req("CREATE", who, endpoints),
        req("UPDATE", who, endpoints, endpoints),
        req("DELETE", who, null, endpoints),
      ]);
    for (const who of [controller("endpointslice-controller"), KCM])
      admitted([
        req("CREATE", who, slice),
        req("UPDATE", who, slice, slice),
        req("DELETE", who, null, slice),
      ]);
    admitted([req("CREATE", controller("endpointslicemirroring-controller"), mirrored)]);
    admitted([req("UPDATE", controller("persistent-volume-binder"), bound, claim)]);
  });

  it("controls: without the controllers' exemptions, the namespace's deletion and the endpoints are denied", () => {
    const quota = planned("ResourceQuota", "alice", "tenant-quota");
    deniedBy(
      req("DELETE", controller("namespace-controller"), null, quota),
      "tenancy-platform-objects",
      withoutExemption("tenancy-platform-objects"),
    );
    const noControllers = broken("tenancy-services", (p) => {
      const spec = p.spec as { validations: { expression: string }[] };
      for (const v of spec.validations) v.expression = v.expression.split(CONTROLLERS).join("false");
    });
    deniedBy(req("CREATE", controller("endpoint-controller"), endpoints), "tenancy-services", noControllers);
    deniedBy(req("CREATE", controller("endpointslice-controller"), slice), "tenancy-services", noControllers);
    // and a tenant writing the same is denied by the planned policy
    deniedBy(req("CREATE", ALICE, endpoints), "tenancy-services");
  });
});
