/** The admission concern's part of the platform layer: the policies and their bindings, once per cluster. */
import type { Contribution } from "../../layers/stack";
import { onCluster } from "../clusters/placement";
import { admissionPolicies as policiesOf } from "./policy";
import { admissionPolicies as admissionPolicySpecs } from "./specs";

export const admissionPolicies: Contribution = ({ input, specs, providers }) => {
  if (!(input.part?.shared ?? true)) return;
  const env = input.model.environment;
  const policies = policiesOf(env);
  if (policies.length === 0) return;
  for (const c of env.clusters)
    admissionPolicySpecs(
      specs,
      onCluster(env.clusters, c.name, "admission"),
      { policies },
      providers.kubernetes(c.name),
    );
};
