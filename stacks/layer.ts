/**
 * What every layer program shares: reading an upstream layer's outputs through a StackReference, the way the
 * real engine does (ARCHITECTURE.md, "Two views"). The engine reads an upstream stack's last *applied* outputs,
 * in a preview too: a tenant or namespace added by the change being previewed is not there yet. So a check on
 * upstream outputs never fails a preview: the missing entry is reported (a warning, and the stack output
 * `awaitingUpstream`), and `up`, which applies the upstream layer first, finds it. In an update the check fails,
 * and it gates exactly the resources that need it.
 */
import * as pulumi from "@pulumi/pulumi";
import { type StackIdentity, stackName, stackReferenceName } from "../layers/identity";

import type { LayerInput, LayerName } from "../layers/names";

export type { LayerInput, LayerProgram } from "../layers/names";

export class Upstream {
  /** The upstream layer's stack for this program's stack: the same shard, in a sharded environment. */
  static of(input: Pick<LayerInput, "model" | "part">, layer: LayerName): Upstream {
    const shard = input.part?.shard;
    return new Upstream({
      env: input.model.environment.name,
      layer,
      ...(shard !== undefined ? { shard } : {}),
    });
  }

  readonly stack: string;
  private readonly reference: pulumi.StackReference;
  private readonly awaiting: pulumi.Output<string | undefined>[] = [];
  private readonly outputs = new Map<string, pulumi.Output<unknown>>();

  constructor(id: StackIdentity) {
    this.stack = stackName(id);
    this.reference = new pulumi.StackReference(
      stackReferenceName(id, pulumi.getOrganization() || "organization"),
    );
  }

  /** An output's value, for decisions taken before any resource exists; `undefined` if never applied. */
  async value(name: string): Promise<unknown> {
    const details = await this.reference.getOutputDetails(name);
    return details.value ?? details.secretValue;
  }

  /**
   * An upstream output, `undefined` while the stack has never applied it. One Output per name: the SDK's
   * `getOutput` walks every output of the upstream stack each time it is called (to lift nested outputs),
   * and a program asks for the same output once per tenant or namespace.
   */
  output<T>(name: string): pulumi.Output<T | undefined> {
    let out = this.outputs.get(name);
    if (!out) this.outputs.set(name, (out = this.reference.getOutput(name)));
    return out as pulumi.Output<T | undefined>;
  }

  /**
   * `value` once `present` holds for the upstream output `name`. In a preview a missing entry is reported and
   * `value` returned all the same; in an update the Output fails, and with it every resource that takes it as
   * an input (or in `dependsOn`, see `gate`).
   */
  require<O, T>(
    name: string,
    what: string,
    present: (output: O | undefined) => boolean,
    value: T,
  ): pulumi.Output<T> {
    const checked = this.output<O>(name).apply((o) => {
      if (present(o)) return { value, missing: undefined };
      const message = `${what} is not in stack ${this.stack} yet: \`up\` applies that layer first`;
      if (!pulumi.runtime.isDryRun())
        throw new Error(`${what} is not in stack ${this.stack}: run the ${this.stack} layer first`);
      pulumi.log.warn(message);
      return { value, missing: what };
    });
    this.awaiting.push(checked.apply((c) => c.missing));
    return checked.apply((c) => c.value);
  }

  /** For `dependsOn`: resolves to no resource when `present` holds (or in a preview), fails in an update otherwise. */
  gate<O>(
    name: string,
    what: string,
    present: (output: O | undefined) => boolean,
  ): pulumi.Output<pulumi.Resource[]> {
    return this.require(name, what, present, [] as pulumi.Resource[]);
  }

  /** What this program found missing upstream (a preview before the upstream layer is applied): a stack output. */
  pending(): pulumi.Output<string[]> {
    return pulumi
      .all(this.awaiting)
      .apply((xs) => [...new Set(xs.filter((x): x is string => x !== undefined))].sort());
  }
}
