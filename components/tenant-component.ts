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
