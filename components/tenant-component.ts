import * as pulumi from "@pulumi/pulumi";

/**
 * A component that belongs to one tenant. Ownership is explicit (ARCHITECTURE.md, "Ownership"): the component
 * carries its tenant id and registers it as its `tenant` output, which is how the plan harness attributes every
 * resource below it, however deeply nested, to that tenant. Shared components extend ComponentResource directly.
 */
export abstract class TenantComponent extends pulumi.ComponentResource {
  /** The owning tenant's id. */
  readonly tenant: string;

  protected constructor(type: string, name: string, tenant: string, opts?: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    this.tenant = tenant;
  }

  /** Registers the component's outputs, always with its `tenant`; call it last in the constructor. */
  protected registerTenantOutputs(outputs: pulumi.Inputs = {}): void {
    this.registerOutputs({ ...outputs, tenant: this.tenant });
  }
}

/**
 * The options of a component's child: parented to the component, and waiting for whatever the component was
 * told to wait for (`dependsOn` of a component does not reach its children by itself, and a layer gates
 * components on upstream checks, ARCHITECTURE.md "Two views"), plus the child's own plain dependencies.
 */
export function childOptions(
  parent: pulumi.ComponentResource,
  componentOpts: pulumi.ComponentResourceOptions | undefined,
  own: Omit<pulumi.CustomResourceOptions, "dependsOn"> & { dependsOn?: pulumi.Resource[] } = {},
): pulumi.CustomResourceOptions {
  const gate = componentOpts?.dependsOn;
  if (gate === undefined) return { ...own, parent };
  const mine = own.dependsOn ?? [];
  const combine = (g: unknown): pulumi.Resource[] => [
    ...((Array.isArray(g) ? g : g === undefined ? [] : [g]) as pulumi.Resource[]),
    ...mine,
  ];
  return {
    ...own,
    parent,
    dependsOn: pulumi.Output.isInstance(gate)
      ? (gate as pulumi.Output<unknown>).apply(combine)
      : combine(gate),
  };
}
