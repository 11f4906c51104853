/**
 * What `plan` notes about the environment, and what `access` flags as cross-tenant: silent on the example
 * (restricted everywhere, every admission policy on, per-tenant CI only), explicit where an environment
 * relaxes any of it.
 */
import { describe, expect, it } from "vitest";
import { LAYERS } from "../../stacks/layers";
import { crossTenantPrincipals } from "../../policy/access";
import { environmentNotes } from "../../policy/notes";
import { accessMatrix } from "../../plan/access";
import { buildPlan } from "../../plan/plan";
import { runCli } from "../helpers/cli";
import {
  exampleEnvironmentData,
  exampleWithEnvironment,
  exampleWithSharedCi,
  loadExample,
  withSharedCi,
} from "./registries";

describe("environment notes", () => {
  it("none for the example", async () => {
    expect(environmentNotes(await loadExample())).toEqual([]);
    expect(runCli(["plan"]).stdout).not.toMatch(/^note: /m);
  });

  it("a tier relaxing Pod Security, a policy switched off and the shared CI identity", () => {
    const env = withSharedCi(exampleEnvironmentData());
    env.tiers.team.podSecurity = { enforce: "baseline" };
    env.admission.policies = { ciIdentity: false };
    expect(environmentNotes(exampleWithEnvironment(env))).toEqual([
      'Pod Security: tier "team" relaxes enforce to baseline (not restricted) for 1 tenant: bob',
      "admission policy ciIdentity is off (admission.policies.ciIdentity in environments/example.yaml)",
      "cross-tenant: the shared CI identity woodpecker/woodpecker-ci obtains the deployer credentials of all 3 active tenants; and nothing keeps pipeline pods from running as it (admission policy ciIdentity is off); per-tenant CI (ci.perTenant) reaches one tenant each",
    ]);
  });
});

describe("cross-tenant principals in the access matrix", () => {
  it("the shared CI identity reaches every active tenant; per-tenant identities reach one", async () => {
    const model = exampleWithSharedCi();
    const rows = accessMatrix(model, await buildPlan(model, LAYERS));
    expect(crossTenantPrincipals(rows, model.tenants)).toEqual([
      { principal: "vault-k8s-auth:kubernetes/woodpecker-deployer", tenants: ["alice", "bob", "carol"] },
    ]);
    const example = await loadExample();
    expect(
      crossTenantPrincipals(accessMatrix(example, await buildPlan(example, LAYERS)), example.tenants),
    ).toEqual([]);
  });
});
