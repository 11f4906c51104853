/**
 * Component tests: a concern's specs registered through the registrar under the plan harness (the mock
 * runtime), as a layer's program registers them. The test provider stands for a cluster's (or Vault's); it is
 * left out of what the run returns, so a test sees the component's own resources.
 */
import { type ResourceSpec, Specs, specKey } from "../../components/core/spec";
import { type ProgramRun, runProgram } from "../../plan/harness";
import { registerStack } from "../../stacks/registrar";

/** A provider spec for a test: Kubernetes (on cluster `main`) unless told otherwise. */
export function testProvider(
  specs: Specs,
  pkg: "kubernetes" | "vault" | "cloudflare" = "kubernetes",
): ResourceSpec {
  const type = `pulumi:providers:${pkg}`;
  return specs.add({
    key: specKey(type, `test-${pkg}`),
    type,
    name: `test-${pkg}`,
    custom: true,
    inputs: pkg === "kubernetes" ? { context: "test" } : {},
    ...(pkg === "kubernetes" ? { cluster: "main" } : {}),
  });
}

/** Registers what `build` specifies under the harness; the run's resources without the providers. */
export async function runSpecs(
  stack: string,
  build: (specs: Specs) => void,
  outputs: Record<string, unknown> = {},
): Promise<ProgramRun> {
  const specs = new Specs();
  build(specs);
  const run = await runProgram({ stack }, async () =>
    registerStack({ resources: specs.list, outputs, reads: [] }),
  );
  return { ...run, resources: run.resources.filter((r) => !r.type.startsWith("pulumi:providers:")) };
}
