/**
 * Tenant isolation at admission (ARCHITECTURE.md, "Admission"): Kubernetes ValidatingAdmissionPolicies
 * (admissionregistration.k8s.io/v1) and their bindings, as plain data, generated from the environment; and each
 * tenant's parameters, the ConfigMap every parametrised policy reads in the namespace of the request.
 *
 * RBAC gives tenant owners an admin-like role in their namespaces; these policies take back what RBAC cannot
 * express: the platform's own objects, whom a RoleBinding may name, which hostnames, Service types, volumes,
 * classes and registries a tenant may use. Every expression is CEL as the API server evaluates it, without
 * optional types (`.?`), so that the tests evaluate the very same text with an independent CEL implementation.
 * Every value from the environment or the registry enters an expression as a JSON-quoted string literal (JSON's
 * escapes are CEL's), never as code.
 */
import type { EnvironmentModel } from "../../registry/model";
import {
  type AdmissionPolicy,
  CONTROLLERS,
  MANAGED_KEY,
  MANAGED_VALUE,
  USER,
  WRITE,
  admissionPolicy,
  certManagerDerived,
  certManagerSolver,
  forKind,
  hostOk,
  kindIs,
  labelled,
  lit,
  list,
  param,
  pinsNamespaces,
  platformPrincipal,
  rule,
} from "./cel";
import { NAMESPACE_NAME_LABEL } from "../core/labels";
import { NAMESPACE_ROLE_FOR } from "../members/rbac";
import { networkPoliciesPolicy } from "./network-policies";

/**
 * The ClusterRoles that make their subject an owner of the namespace (or more): only the tenant itself binds or
 * unbinds them there. Members below the owner (a manager writes RoleBindings) bind the roles below it, which
 * Kubernetes' escalation check bounds to the roles they hold (ARCHITECTURE.md, "Roles").
 */
export const OWNER_ROLES = [NAMESPACE_ROLE_FOR.owner, "admin", "cluster-admin"] as const;
/** Whether a RoleBinding (`object` or `oldObject`, null when absent) binds one of the owner's roles. */
const ownerRoleRef = (o: string) =>
  `(${o} != null && ${o}.roleRef.kind == "ClusterRole" && ${o}.roleRef.name in ${list(OWNER_ROLES)})`;
/** The requester is the tenant's own principal: its user, or a member of its group (the parameters' `users`, `groups`). */
const TENANT_ITSELF = `(${USER} in variables.users || (has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in variables.groups)))`;

/** Restricted Pod Security's volume types: no inline NFS, iSCSI, hostPath, ... whatever the namespace's level. */
const RESTRICTED_VOLUMES = [
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
];

/**
 * Whether a pod's (inter-)pod affinity stays in the tenant's namespaces: no term selects namespaces by label (an
 * empty selector is every namespace) or names another tenant's. Across namespaces, affinity places pods beside
 * (or away from) other tenants' pods: a side channel, and a way to learn where they run.
 */
function affinityInNamespaces(obj: string): string {
  const term = (t: string) =>
    `(!has(${t}.namespaceSelector) && (!has(${t}.namespaces) || ${t}.namespaces.all(n, n in variables.namespaces)))`;
  return ["podAffinity", "podAntiAffinity"]
    .map((k) => {
      const a = `${obj}.spec.affinity.${k}`;
      const required = `${a}.requiredDuringSchedulingIgnoredDuringExecution`;
      const preferred = `${a}.preferredDuringSchedulingIgnoredDuringExecution`;
      return (
        `(!has(${obj}.spec.affinity) || !has(${a}) || ` +
        `((!has(${required}) || ${required}.all(t, ${term("t")})) && ` +
        `(!has(${preferred}) || ${preferred}.all(w, ${term("w.podAffinityTerm")}))))`
      );
    })
    .join(" && ");
}

/** Whether `obj` carries none of the annotation keys (a key ending in `*`: every key it begins). */
function annotationsOk(obj: string, keys: readonly string[]): string {
  if (keys.length === 0) return "true";
  const match = keys
    .map((k) => (k.endsWith("*") ? `k.startsWith(${lit(k.slice(0, -1))})` : `k == ${lit(k)}`))
    .join(" || ");
  return `!has(${obj}.metadata.annotations) || !${obj}.metadata.annotations.exists(k, ${match})`;
}
const annotationsMessage = (what: string, keys: readonly string[]) =>
  `${what} may not carry these annotations, which the platform reserves (admission.forbiddenAnnotations): ${keys.join(", ")}`;

/** The Gateway API resources a tenant may write that carry hostnames, listeners or attachments. */
const GATEWAY_RESOURCES = [
  "httproutes",
  "grpcroutes",
  "tlsroutes",
  "tcproutes",
  "udproutes",
  "gateways",
  "listenersets",
];
/** ListenerSets: gateway.networking.x-k8s.io's XListenerSet (experimental), gateway.networking.k8s.io's ListenerSet. */
const LISTENER_SETS = ["XListenerSet", "ListenerSet"];

/**
 * Whether a Gateway listener (`l`) takes routes only from the tenant's namespaces: `Same` (the default), or a
 * `Selector` pinned to one of them by the immutable namespace-name label (matchLabels or an `In` expression).
 */
function routesFromOwnNamespaces(l: string): string {
  const ns = `${l}.allowedRoutes.namespaces`;
  const sel = `${ns}.selector`;
  return (
    `(!has(${l}.allowedRoutes) || !has(${ns}) || !has(${ns}.from) || ${ns}.from == "Same" || ` +
    `(${ns}.from == "Selector" && has(${sel}) && ${pinsNamespaces(sel, (v) => `${v} in variables.namespaces`)}))`
  );
}

/**
 * Whether a cert-manager issuer reference (`r`) is allowed: a ClusterIssuer the tier lists; a namespaced Issuer (the
 * tenant's own); an external issuer's namespaced kind. An external group's cluster-scoped kind (`...ClusterIssuer`,
 * e.g. AWSPCAClusterIssuer) only with `*`.
 */
function issuerRefOk(r: string): string {
  const ci = "variables.clusterIssuers";
  return (
    `(has(${r}.group) && ${r}.group != "" && ${r}.group != "cert-manager.io" ? ` +
    `(!has(${r}.kind) || !${r}.kind.contains("ClusterIssuer") || "*" in ${ci}) : ` +
    `(!has(${r}.kind) || ${r}.kind != "ClusterIssuer" || "*" in ${ci} || ${r}.name in ${ci}))`
  );
}

/**
 * Whether the cert-manager annotations of an Ingress or Gateway (ingress-shim makes a Certificate from them) name
 * an allowed issuer: `cert-manager.io/cluster-issuer`, or `cert-manager.io/issuer` with a cluster-scoped
 * `cert-manager.io/issuer-kind`.
 */
function annotatedIssuerOk(obj: string): string {
  const a = `${obj}.metadata.annotations`;
  const ci = "variables.clusterIssuers";
  const CLUSTER = lit("cert-manager.io/cluster-issuer");
  const ISSUER = lit("cert-manager.io/issuer");
  const KIND = lit("cert-manager.io/issuer-kind");
  return (
    `!has(${a}) || "*" in ${ci} || ` +
    `((!(${CLUSTER} in ${a}) || ${a}[${CLUSTER}] in ${ci}) && ` +
    `(!(${KIND} in ${a}) || !${a}[${KIND}].contains("ClusterIssuer") || (${ISSUER} in ${a} && ${a}[${ISSUER}] in ${ci})))`
  );
}

/** The images of a pod (`obj`): containers, init containers, ephemeral containers. */
const imagesOf = (obj: string) =>
  ["containers", "initContainers", "ephemeralContainers"]
    .map((f) => `(has(${obj}.spec.${f}) ? ${obj}.spec.${f}.map(c, c.image) : [])`)
    .join(" + ");

/** Every admission policy switched on in this environment, with its binding. */
export function admissionPolicies(env: EnvironmentModel): AdmissionPolicy[] {
  const on = env.admission.policies;
  const platform = platformPrincipal(env);
  const solver = certManagerSolver(env);
  const out: AdmissionPolicy[] = [];
  if (on.platformObjects)
    out.push(
      admissionPolicy(env, "platformObjects", {
        description:
          "Objects the platform manages in tenant namespaces (labelled managed-by tenancy) are changed by the platform only",
        // and a debug container added to one of its pods (the pod is the object): exec by another name
        rules: [
          rule(["*"], ["*"], ["CREATE", "UPDATE", "DELETE"]),
          rule([""], ["pods/ephemeralcontainers"], ["UPDATE"]),
        ],
        params: false,
        exempt: `${platform} || ${CONTROLLERS} || ${certManagerDerived(env)}`,
        validations: [
          {
            expression: `!${labelled("oldObject")}`,
            message: `this object belongs to the platform (${MANAGED_KEY}=${MANAGED_VALUE}): only the platform may change, relabel or delete it; ask for the change in the tenant registry`,
          },
          {
            expression: `!${labelled("object")}`,
            message: `the label ${MANAGED_KEY}=${MANAGED_VALUE} is the platform's: tenants may not set it`,
          },
        ],
      }),
    );
  if (on.roleBindings)
    out.push(
      admissionPolicy(env, "roleBindings", {
        description:
          "RoleBindings in tenant namespaces bind only the tenant's own user or group and service accounts of its own namespaces",
        // DELETE too: removing a binding of the owner's roles is the owner's (a manager removes members below it)
        rules: [rule(["rbac.authorization.k8s.io"], ["rolebindings"], [...WRITE, "DELETE"])],
        params: true,
        exempt: platform,
        variables: [
          ["users", param("users")],
          ["groups", param("groups")],
          ["namespaces", param("namespaces")],
        ],
        validations: [
          {
            expression:
              "object == null || !has(object.subjects) || object.subjects.all(s, " +
              's.kind == "User" ? s.name in variables.users : ' +
              's.kind == "Group" ? s.name in variables.groups : ' +
              's.kind == "ServiceAccount" && ' +
              '(has(s.namespace) && s.namespace != "" ? s.namespace : request.namespace) in variables.namespaces)',
            message:
              "a RoleBinding in a tenant namespace may bind only the tenant's own user or group and service accounts of the tenant's own namespaces",
          },
          {
            expression: `!(${ownerRoleRef("object")} || ${ownerRoleRef("oldObject")}) || ${TENANT_ITSELF} || (request.operation == "DELETE" && ${CONTROLLERS})`,
            message: `only the tenant itself may bind or unbind the owner's roles (${OWNER_ROLES.join(", ")}): a member, a manager included, binds and removes the roles below the owner's (${NAMESPACE_ROLE_FOR.manager}, ${NAMESPACE_ROLE_FOR.developer}, ${NAMESPACE_ROLE_FOR.viewer})`,
          },
        ],
      }),
    );
  if (on.hostnames)
    out.push(
      admissionPolicy(env, "hostnames", {
        description:
          "Ingresses, Gateway API objects and cert-manager Certificates name only the tenant's hostnames, classes and issuers; CertificateRequests come from cert-manager only",
        rules: [
          rule(["networking.k8s.io"], ["ingresses"], WRITE),
          rule(["gateway.networking.k8s.io"], [...GATEWAY_RESOURCES], WRITE),
          rule(["gateway.networking.x-k8s.io"], ["xlistenersets"], WRITE),
          rule(["cert-manager.io"], ["certificates", "certificaterequests"], WRITE),
        ],
        params: true,
        exempt: `${platform} || ${solver}`,
        variables: [
          ["domains", param("domains")],
          ["ingressClasses", param("ingressClasses")],
          ["gatewayClasses", param("gatewayClasses")],
          ["clusterIssuers", param("clusterIssuers")],
          ["namespaces", param("namespaces")],
        ],
        validations: [
          {
            expression: forKind(["Ingress"], annotationsOk("object", env.admission.forbiddenAnnotations)),
            message: annotationsMessage("an Ingress", env.admission.forbiddenAnnotations),
          },
          {
            expression: forKind(["Ingress", "Gateway"], annotatedIssuerOk("object")),
            message:
              "the cert-manager ClusterIssuer this object's annotations name is not allowed for the tenant's tier (its own Issuers are)",
          },
          {
            expression: forKind(["Ingress"], "!has(object.spec.defaultBackend)"),
            message: "an Ingress may not set a defaultBackend: it would catch every hostname",
          },
          {
            expression: forKind(
              ["Ingress"],
              `!has(object.spec.rules) || object.spec.rules.all(r, has(r.host) && r.host != "" && ${hostOk("r.host")})`,
            ),
            message:
              "every Ingress rule needs a host that is one of the tenant's domains or below one (no host-less catch-all rules)",
          },
          {
            expression: forKind(
              ["Ingress"],
              `!has(object.spec.tls) || object.spec.tls.all(t, has(t.hosts) && t.hosts.size() > 0 && t.hosts.all(h, ${hostOk("h")}))`,
            ),
            message: "every Ingress TLS entry needs hosts, each one of the tenant's domains or below one",
          },
          {
            expression: forKind(
              ["Ingress"],
              '"*" in variables.ingressClasses || (has(object.spec.ingressClassName) ? object.spec.ingressClassName in variables.ingressClasses : ' +
                '!(has(object.metadata.annotations) && "kubernetes.io/ingress.class" in object.metadata.annotations) || ' +
                'object.metadata.annotations["kubernetes.io/ingress.class"] in variables.ingressClasses)',
            ),
            message: "this IngressClass is not allowed for the tenant's tier",
          },
          {
            expression: forKind(
              ["HTTPRoute", "GRPCRoute", "TLSRoute"],
              `has(object.spec.hostnames) && object.spec.hostnames.size() > 0 && object.spec.hostnames.all(h, ${hostOk("h")})`,
            ),
            message:
              "a route needs hostnames, each one of the tenant's domains or below one (a route without hostnames catches every hostname of its listener)",
          },
          {
            expression: forKind(
              ["Gateway", ...LISTENER_SETS],
              `object.spec.listeners.all(l, has(l.hostname) && ${hostOk("l.hostname")})`,
            ),
            message:
              "every Gateway or ListenerSet listener needs a hostname that is one of the tenant's domains or below one",
          },
          {
            expression: forKind(
              ["Gateway"],
              '"*" in variables.gatewayClasses || object.spec.gatewayClassName in variables.gatewayClasses',
            ),
            message:
              "this GatewayClass is not allowed for the tenant's tier (tenants attach routes to the platform's Gateways unless the tier lists gatewayClasses)",
          },
          {
            expression: forKind(
              ["Gateway"],
              "!has(object.spec.addresses) || object.spec.addresses.size() == 0",
            ),
            message:
              "a Gateway may not ask for addresses (spec.addresses): the address may be another tenant's or the platform's",
          },
          {
            expression: forKind(
              ["Gateway", ...LISTENER_SETS],
              `object.spec.listeners.all(l, ${routesFromOwnNamespaces("l")})`,
            ),
            message:
              "a listener may take routes only from the tenant's own namespaces (allowedRoutes.namespaces.from Same, or a Selector naming one of them by kubernetes.io/metadata.name)",
          },
          {
            // no hostname to bound: a TCP or UDP route may attach only where nobody else's traffic arrives
            expression: forKind(
              ["TCPRoute", "UDPRoute"],
              "object.spec.parentRefs.all(p, !has(p.namespace) || p.namespace in variables.namespaces)",
            ),
            message:
              "a TCPRoute or UDPRoute names no hostname: it may attach only to Gateways in the tenant's own namespaces",
          },
          {
            expression: forKind(["Certificate"], issuerRefOk("object.spec.issuerRef")),
            message:
              "a Certificate may name only the ClusterIssuers the tenant's tier allows (admission clusterIssuers), or an Issuer in its own namespace",
          },
          {
            expression: forKind(
              ["Certificate"],
              "(has(object.spec.dnsNames) && object.spec.dnsNames.size() > 0 || has(object.spec.commonName)) && " +
                `(!has(object.spec.dnsNames) || object.spec.dnsNames.all(h, ${hostOk("h")})) && ` +
                `(!has(object.spec.commonName) || ${hostOk("object.spec.commonName")})`,
            ),
            message: "a Certificate may name only the tenant's domains or hostnames below them",
          },
          {
            // a CertificateRequest carries a CSR, which can name any host and which CEL cannot read: cert-manager's
            // controller makes them from Certificates (bounded above); a tenant may not (cert-manager's edit role
            // aggregates them into admin, and its default approver approves)
            expression: forKind(
              ["CertificateRequest"],
              `${USER} in ${list(env.admission.components.certManager)}`,
            ),
            message:
              "a CertificateRequest is made by cert-manager from a Certificate (which names only the tenant's hostnames); write a Certificate instead",
          },
          {
            expression: forKind(
              ["Certificate"],
              "!has(object.spec.ipAddresses) && !has(object.spec.uris) && !has(object.spec.emailAddresses) && !has(object.spec.otherNames)",
            ),
            message: "a Certificate may name only hostnames (no IP addresses, URIs, emails or other names)",
          },
        ],
      }),
    );
  if (on.services)
    out.push(
      admissionPolicy(env, "services", {
        description:
          "No Service externalIPs; Service types and StorageClasses per tier; no PersistentVolumeClaim volumeName; Endpoints and EndpointSlices from the cluster's controllers only",
        rules: [
          rule([""], ["services", "persistentvolumeclaims", "endpoints"], WRITE),
          rule(["discovery.k8s.io"], ["endpointslices"], WRITE),
        ],
        params: true,
        exempt: `${platform} || ${solver}`,
        variables: [
          ["serviceTypes", param("serviceTypes")],
          ["storageClasses", param("storageClasses")],
        ],
        validations: [
          {
            // hand-written endpoints can point a Service, and through it the ingress controller, at any address,
            // another tenant's pods too (CVE-2021-25740; Kubernetes 1.22 took them out of the aggregated edit role,
            // which older clusters and custom roles still grant)
            expression: forKind(["Endpoints", "EndpointSlice"], CONTROLLERS),
            message:
              "Endpoints and EndpointSlices are the cluster's to write, from a Service's selector; a tenant's would let the Service (and the ingress controller) reach any address",
          },
          {
            expression: forKind(["Service"], annotationsOk("object", env.admission.forbiddenAnnotations)),
            message: annotationsMessage("a Service", env.admission.forbiddenAnnotations),
          },
          {
            expression: forKind(
              ["Service"],
              '!has(object.spec.loadBalancerIP) || object.spec.loadBalancerIP == ""',
            ),
            message:
              "a Service may not pin its load balancer's address (spec.loadBalancerIP): the address may be another tenant's or the platform's",
          },
          {
            expression: forKind(
              ["Service"],
              "!has(object.spec.externalIPs) || object.spec.externalIPs.size() == 0",
            ),
            message:
              "a Service may not set externalIPs: it would intercept traffic to those addresses cluster-wide (CVE-2020-8554)",
          },
          {
            expression: forKind(
              ["Service"],
              '!has(object.spec.type) || object.spec.type == "ClusterIP" || object.spec.type in variables.serviceTypes',
            ),
            message: "this Service type is not allowed for the tenant's tier (ClusterIP always is)",
          },
          {
            expression: forKind(
              ["PersistentVolumeClaim"],
              '!has(object.spec.volumeName) || object.spec.volumeName == "" || ' +
                `oldObject != null && (has(oldObject.spec.volumeName) && oldObject.spec.volumeName == object.spec.volumeName || ${CONTROLLERS})`,
            ),
            message:
              "a PersistentVolumeClaim may not name a volumeName: volumes are bound by the cluster, never claimed by name",
          },
          {
            expression: forKind(
              ["PersistentVolumeClaim"],
              'oldObject != null || "*" in variables.storageClasses || !has(object.spec.storageClassName) || object.spec.storageClassName in variables.storageClasses',
            ),
            message: "this StorageClass is not allowed for the tenant's tier",
          },
        ],
      }),
    );
  if (on.workloads)
    out.push(
      admissionPolicy(env, "workloads", {
        description:
          "Pods use only the tier's PriorityClasses, RuntimeClasses, image registries, node pools, tolerations and restricted volume types; name no node; look at no other tenant's pods for affinity",
        rules: [rule([""], ["pods", "pods/ephemeralcontainers"], WRITE)],
        params: true,
        exempt: `${platform} || ${solver}`,
        variables: [
          ["images", imagesOf("object")],
          // an update checks images only when they change (so a tightened list does not freeze running pods)
          ["checkImages", `oldObject == null || (${imagesOf("oldObject")}) != variables.images`],
          [
            "refs",
            'variables.images.map(i, i.split("/").size() > 1 && (i.split("/")[0].contains(".") || i.split("/")[0].contains(":") || i.split("/")[0] == "localhost") ? i : "docker.io/" + i)',
          ],
          ["registries", param("registries")],
          ["pullPolicies", param("imagePullPolicies")],
          ["priorityClasses", param("priorityClasses")],
          ["runtimeClasses", param("runtimeClasses")],
          ["namespaces", param("namespaces")],
          ["nodePools", param("nodePools")],
          ["tolerations", param("tolerations")],
        ],
        validations: [
          {
            expression:
              '!variables.checkImages || "*" in variables.registries || variables.refs.all(i, variables.registries.exists(r, i.startsWith(r + "/")))',
            message: "an image comes from a registry the tenant's tier does not allow",
          },
          {
            // every container: an unset imagePullPolicy is defaulted before admission (IfNotPresent, or Always for :latest)
            expression:
              "!variables.checkImages || " +
              ["containers", "initContainers", "ephemeralContainers"]
                .map(
                  (f) =>
                    `(!has(object.spec.${f}) || object.spec.${f}.all(c, !has(c.imagePullPolicy) || c.imagePullPolicy in variables.pullPolicies))`,
                )
                .join(" && "),
            message:
              "this imagePullPolicy is not allowed for the tenant's tier (a private image cached on a node would otherwise run without its pull secret)",
          },
          {
            expression:
              'oldObject != null || !has(object.spec.priorityClassName) || "*" in variables.priorityClasses || object.spec.priorityClassName in variables.priorityClasses',
            message: "this PriorityClass is not allowed for the tenant's tier",
          },
          {
            expression:
              'oldObject != null || (has(object.spec.runtimeClassName) ? "*" in variables.runtimeClasses || object.spec.runtimeClassName in variables.runtimeClasses : params.data["requireRuntimeClass"] != "true")',
            message: "the tenant's tier requires one of its RuntimeClasses, and allows no other",
          },
          {
            // the scheduler binds a pod through pods/binding, never by a create naming the node; a kubelet makes
            // the mirror pods of its static pods with it set
            expression: `oldObject != null || !has(object.spec.nodeName) || object.spec.nodeName == "" || ${USER}.startsWith("system:node:")`,
            message:
              "a pod may not name its node (spec.nodeName): that bypasses the scheduler, and with it the node selectors, taints and quotas that keep tenants on their nodes",
          },
          {
            // the pool is chosen at creation (a pod's nodeSelector is immutable) and, being ANDed with its node
            // affinity, keeps the pod within it
            expression: `oldObject != null || "*" in variables.nodePools || (has(object.spec.nodeSelector) && ${lit(env.admission.nodePoolLabel)} in object.spec.nodeSelector && object.spec.nodeSelector[${lit(env.admission.nodePoolLabel)}] in variables.nodePools)`,
            message: `a pod must select one of the tier's node pools in its nodeSelector (${env.admission.nodePoolLabel})`,
          },
          {
            // a toleration without a key tolerates every taint; the node conditions are tolerated by Kubernetes
            // itself (DefaultTolerationSeconds, the DaemonSet controller)
            expression: `!has(object.spec.tolerations) || "*" in variables.tolerations || object.spec.tolerations.all(t, has(t.key) && t.key != "" && (t.key.startsWith("node.kubernetes.io/") || t.key in variables.tolerations))`,
            message:
              "a pod may tolerate only the taints its tier allows (admission tolerations) and the node conditions (node.kubernetes.io/*); a toleration without a key tolerates every taint",
          },
          {
            expression: `oldObject != null || ${affinityInNamespaces("object")}`,
            message:
              "pod affinity and anti-affinity may look only at the tenant's own namespaces (no namespaceSelector; namespaces listed must be the tenant's)",
          },
          {
            expression: `oldObject != null || !has(object.spec.volumes) || object.spec.volumes.all(v, ${RESTRICTED_VOLUMES.map((t) => `has(v.${t})`).join(" || ")})`,
            message:
              "only the restricted Pod Security volume types (configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret); mount other storage through a PersistentVolumeClaim",
          },
        ],
      }),
    );
  if (on.platformSubresources)
    out.push(
      admissionPolicy(env, "platformSubresources", {
        description:
          "The platform's workloads in tenant namespaces are scaled by the platform only (their scale subresource, and no HorizontalPodAutoscaler of a tenant's targets them)",
        rules: [
          rule(["*"], ["*/scale"], ["UPDATE"]),
          rule(["autoscaling"], ["horizontalpodautoscalers"], WRITE),
        ],
        params: true,
        exempt: `${platform} || ${CONTROLLERS}`,
        variables: [["workloads", param("platformWorkloads")]],
        validations: [
          {
            // a Scale carries no labels: the platform's workloads are named in the tenant's parameters
            expression: `${kindIs("HorizontalPodAutoscaler")} || !((request.namespace + "/" + request.name) in variables.workloads)`,
            message:
              "this workload is the platform's (an app instance): its replicas are set in the tenant registry, not by scaling it",
          },
          {
            expression: forKind(
              ["HorizontalPodAutoscaler"],
              '!((request.namespace + "/" + object.spec.scaleTargetRef.name) in variables.workloads)',
            ),
            message:
              "a HorizontalPodAutoscaler may not target the platform's workloads (app instances): their replicas are set in the tenant registry",
          },
        ],
      }),
    );
  if (on.credentials)
    out.push(
      admissionPolicy(env, "credentials", {
        description: `No long-lived ServiceAccount token Secrets; TokenRequests of at most ${env.admission.maxTokenSeconds} s (what a member minted stops working soon after the membership ends)`,
        rules: [rule([""], ["secrets"], WRITE), rule([""], ["serviceaccounts/token"], ["CREATE"])],
        params: false,
        exempt: `${platform} || ${CONTROLLERS}`,
        validations: [
          {
            // a legacy token Secret never expires: it outlives the membership, the binding and the person
            expression: forKind(
              ["Secret"],
              '!has(object.type) || object.type != "kubernetes.io/service-account-token"',
            ),
            message:
              "a ServiceAccount token Secret never expires: request a short-lived token instead (kubectl create token, a projected volume)",
          },
          {
            // the kubelet's requests are for pods' projected volumes: bound to the pod, they end with it
            expression: forKind(
              ["TokenRequest"],
              `${USER}.startsWith("system:node:") || !has(object.spec.expirationSeconds) || object.spec.expirationSeconds <= ${env.admission.maxTokenSeconds}`,
            ),
            message: `a ServiceAccount token may last at most ${env.admission.maxTokenSeconds} seconds (admission.maxTokenSeconds)`,
          },
        ],
      }),
    );
  if (on.networkPolicies) out.push(networkPoliciesPolicy(env));
  const shared = env.ci.shared;
  if (on.ciIdentity && shared) {
    const sa = lit(shared.serviceAccount);
    out.push(
      admissionPolicy(env, "ciIdentity", {
        description:
          "Shared CI mode: pipeline pods cannot run as the CI identity, nor mint its tokens; only its own Deployment's pods can",
        rules: [rule([""], ["pods", "serviceaccounts/token"], ["CREATE", "UPDATE"])],
        namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: shared.namespace } },
        params: false,
        exempt: platform,
        validations: [
          {
            expression: `!(${kindIs("Pod")}) || ${CONTROLLERS} || !(has(object.spec.serviceAccountName) && object.spec.serviceAccountName == ${sa} || has(object.spec.serviceAccount) && object.spec.serviceAccount == ${sa})`,
            message: `only the CI system's own workload (created by a Deployment or StatefulSet) may run as the CI identity ${shared.serviceAccount}; a pipeline pod may not`,
          },
          {
            expression: `${kindIs("Pod")} || request.name != ${sa} || ${USER}.startsWith("system:node:")`,
            message: `tokens of the CI identity ${shared.serviceAccount} are issued by the kubelet to its own pods only`,
          },
        ],
      }),
    );
  }
  return out;
}
