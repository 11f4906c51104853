import type { AdmissionPolicy } from "./cel";
import type { ResourceSpec, Specs } from "../core/spec";

export interface AdmissionPoliciesArgs {
  /** The policies and bindings, as components/admission/policy.ts builds them from the environment. */
  policies: AdmissionPolicy[];
}

/**
 * The environment's ValidatingAdmissionPolicies and their bindings: created once per cluster, never per tenant.
 * Each binding waits for its policy. Needs Kubernetes 1.30 or later (admissionregistration.k8s.io/v1).
 */
export function admissionPolicies(
  specs: Specs,
  name: string,
  args: AdmissionPoliciesArgs,
  provider: ResourceSpec,
): ResourceSpec {
  const component = specs.component("tenancy:k8s:AdmissionPolicies", name, { providers: [provider] });
  const within = { parent: component, provider };
  for (const p of args.policies) {
    const policy = specs.kubernetes(`${name}-policy/${p.name}`, p.policy, within);
    specs.kubernetes(`${name}-binding/${p.name}`, p.binding, within, {
      dependsOn: [policy.key],
    });
  }
  return component;
}
