import { tenantLabels } from "../core/labels";
import { CLUSTER_ROLE_FOR, type MemberGrant, NAMESPACE_ROLE_FOR, type Subject, rbacSubject } from "./rbac";
import type { TenantRole } from "../../registry/model";
import { type Dependency, type ResourceSpec, type Specs } from "../core/spec";

export interface TenantAccessArgs {
  tenant: string;
  subject: Subject;
  role: TenantRole;
  /** A namespace owner reads the cluster's classes (its tier's `clusterReader`); otherwise it has no cluster binding. */
  clusterReader?: boolean;
  /** The namespaces the tenant owns. */
  namespaces: string[];
  /** Other tenants invited into this tenant's namespaces (already without offboarding members). @default - none */
  members?: MemberGrant[];
  /**
   * Binding names (`names` of the environment): the owner's per namespace, a member's, the cluster binding.
   * @default tenant-owner, tenant-member-<member>, tenancy-tenant-<tenant>
   */
  bindingNames?: {
    owner: Record<string, string>;
    member: (namespace: string, member: string) => string;
    cluster: string;
  };
  /**
   * Put before the names of the bindings keyed by namespace, which do not start with the component's name: a
   * cluster's prefix (components/clusters/placement.ts `clusterPrefix`).
   * @default - none (the default cluster's names)
   */
  childPrefix?: string;
  /**
   * The Namespace objects of the namespaces bound in, by name: each binding is deleted with its namespace
   * (ARCHITECTURE.md, "Safety"), so a namespace removal past the guard cannot strip the access to a namespace
   * whose own delete is refused. @default - none
   */
  namespaceObjects?: Readonly<Record<string, ResourceSpec>>;
}

/**
 * A tenant's Kubernetes access: owner RoleBindings to `tenancy-namespace-owner` in each of its namespaces, RoleBindings for
 * invited members, and one ClusterRoleBinding to the shared cluster-level role of its tenant role.
 * Offboarding tenants get no TenantAccess at all: the stack leaves it out, which deletes the bindings.
 * Bindings inside a namespace are keyed by the namespace (`<ns>-owner`, `<ns>-member/<tenant>`), so a namespace
 * handed over to another tenant keeps their URNs. `dependsOn` (the tenant's namespaces) reaches every binding;
 * each binding inside a namespace is deleted with it (`namespaceObjects`), never on its own before it.
 */
export function tenantAccess(
  specs: Specs,
  name: string,
  args: TenantAccessArgs,
  provider: ResourceSpec,
  dependsOn: Dependency[],
): ResourceSpec {
  const component = specs.component(
    "tenancy:k8s:TenantAccess",
    name,
    { providers: [provider], dependsOn },
    { tenant: args.tenant },
  );
  const within = { parent: component, provider, dependsOn };
  const labels = tenantLabels(args.tenant);
  const prefix = args.childPrefix ?? "";
  const binding = (
    resourceName: string,
    formerName: string,
    namespace: string,
    bindingName: string,
    clusterRole: string,
    subject: Subject,
  ) => {
    // keyed by namespace since the handover rule (ARCHITECTURE.md, "Names"); the former name is an alias
    specs.kubernetes(
      resourceName,
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: bindingName, namespace, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole },
        subjects: [rbacSubject(subject)],
      },
      within,
      {
        deleteBeforeReplace: true,
        aliases: [formerName],
        ...(args.namespaceObjects?.[namespace] ? { deletedWith: args.namespaceObjects[namespace] } : {}),
      },
    );
  };

  // "/" cannot occur in tenant ids or namespace names, so these resource names never collide
  for (const ns of args.namespaces)
    binding(
      `${prefix}${ns}-owner`,
      `${name}-owner/${ns}`,
      ns,
      args.bindingNames?.owner[ns] ?? "tenant-owner",
      NAMESPACE_ROLE_FOR.owner,
      args.subject,
    );
  for (const m of args.members ?? []) {
    for (const ns of m.namespaces) {
      binding(
        `${prefix}${ns}-member/${m.tenant}`,
        `${name}-member/${ns}/${m.tenant}`,
        ns,
        args.bindingNames?.member(ns, m.tenant) ?? `tenant-member-${m.tenant}`,
        NAMESPACE_ROLE_FOR[m.role],
        m.subject,
      );
    }
  }
  if (args.role !== "namespace-owner" || args.clusterReader)
    specs.kubernetes(
      `${name}-cluster`,
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: args.bindingNames?.cluster ?? `tenancy-tenant-${args.tenant}`, labels },
        roleRef: {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "ClusterRole",
          name: CLUSTER_ROLE_FOR[args.role],
        },
        subjects: [rbacSubject(args.subject)],
      },
      within,
      { deleteBeforeReplace: true },
    );
  return component;
}
