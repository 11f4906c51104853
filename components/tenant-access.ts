import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MemberRole, TenantRole } from "../registry/model";
import { CLUSTER_ROLE_FOR, NAMESPACE_ROLE_FOR } from "./cluster-roles";
import { MANAGED_BY, TENANT_LABEL } from "./labels";

/** A Kubernetes RBAC subject: the tenant's OIDC user (as the API server maps it) or a group. */
export interface Subject {
  kind: "User" | "Group";
  name: string;
}

export interface MemberGrant {
  /** The invited tenant's id. */
  tenant: string;
  subject: Subject;
  role: MemberRole;
  /** Namespaces of the inviting tenant it is invited into. */
  namespaces: string[];
}

export interface TenantAccessArgs {
  tenant: string;
  subject: Subject;
  role: TenantRole;
  /** The namespaces the tenant owns. */
  namespaces: string[];
  /** Other tenants invited into this tenant's namespaces (already without offboarding members). @default - none */
  members?: MemberGrant[];
}

export function rbacSubject(s: Subject) {
  return { kind: s.kind, name: s.name, apiGroup: "rbac.authorization.k8s.io" };
}

/**
 * A tenant's Kubernetes access: owner RoleBindings to `tenancy-namespace-owner` in each of its namespaces, RoleBindings for
 * invited members, and one ClusterRoleBinding to the shared cluster-level role of its tenant role.
 * Offboarding tenants get no TenantAccess at all: the stack leaves it out, which deletes the bindings.
 */
export class TenantAccess extends pulumi.ComponentResource {
  constructor(name: string, args: TenantAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:k8s:TenantAccess", name, {}, opts);
    const labels = { ...MANAGED_BY, [TENANT_LABEL]: args.tenant };
    const binding = (
      resourceName: string,
      namespace: string,
      bindingName: string,
      clusterRole: string,
      subject: Subject,
    ) =>
      new k8s.rbac.v1.RoleBinding(
        resourceName,
        {
          metadata: { name: bindingName, namespace, labels },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole },
          subjects: [rbacSubject(subject)],
        },
        { parent: this, deleteBeforeReplace: true },
      );

    // "/" cannot occur in tenant ids or namespace names, so these resource names never collide
    for (const ns of args.namespaces)
      binding(`${name}-owner/${ns}`, ns, "tenant-owner", NAMESPACE_ROLE_FOR.owner, args.subject);
    for (const m of args.members ?? []) {
      for (const ns of m.namespaces) {
        binding(
          `${name}-member/${ns}/${m.tenant}`,
          ns,
          `tenant-member-${m.tenant}`,
          NAMESPACE_ROLE_FOR[m.role],
          m.subject,
        );
      }
    }
    new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-cluster`,
      {
        metadata: { name: `tenancy-tenant-${args.tenant}`, labels },
        roleRef: {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "ClusterRole",
          name: CLUSTER_ROLE_FOR[args.role],
        },
        subjects: [rbacSubject(args.subject)],
      },
      { parent: this, deleteBeforeReplace: true },
    );
    this.registerOutputs({ tenant: args.tenant });
  }
}
