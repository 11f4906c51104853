import type { AdmissionPolicy } from "./policy";
import { type ResourceSpec, type Specs, kubernetesObject } from "../core/spec";

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
    const { apiVersion, kind, ...policyBody } = p.policy as Record<string, unknown> & {
      apiVersion: string;
      kind: string;
    };
    const policy = kubernetesObject(apiVersion, kind, policyBody);
    const policySpec = specs.resource(policy.type, `${name}-policy/${p.name}`, policy.inputs, within);
    const {
      apiVersion: bv,
      kind: bk,
      ...bindingBody
    } = p.binding as Record<string, unknown> & {
      apiVersion: string;
      kind: string;
    };
    const binding = kubernetesObject(bv, bk, bindingBody);
    specs.resource(binding.type, `${name}-binding/${p.name}`, binding.inputs, within, {
      dependsOn: [policySpec.key],
    });
  }
  return component;
}
