import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AdmissionPolicy } from "../policy/admission";

export interface AdmissionPoliciesArgs {
  /** The policies and bindings, as policy/admission.ts builds them from the environment. */
  policies: AdmissionPolicy[];
}

/**
 * The environment's ValidatingAdmissionPolicies and their bindings: created once per cluster, never per tenant.
 * Each binding waits for its policy. Needs Kubernetes 1.30 or later (admissionregistration.k8s.io/v1).
 */
export class AdmissionPolicies extends pulumi.ComponentResource {
  constructor(name: string, args: AdmissionPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:k8s:AdmissionPolicies", name, {}, opts);
    for (const p of args.policies) {
      const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
        `${name}-policy/${p.name}`,
        p.policy as k8s.admissionregistration.v1.ValidatingAdmissionPolicyArgs,
        { parent: this },
      );
      new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
        `${name}-binding/${p.name}`,
        p.binding as unknown as k8s.admissionregistration.v1.ValidatingAdmissionPolicyBindingArgs,
        { parent: this, dependsOn: [policy] },
      );
    }
    this.registerOutputs({});
  }
}
