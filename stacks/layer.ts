/**
 * A layer's program from its concerns' contributions (`layerProgram`), and reading an upstream layer's outputs
 * as data (ARCHITECTURE.md, "Two views").
 * The engine reads an upstream stack's last *applied* outputs, in a preview too: a tenant or namespace added by
 * the change being previewed is not there yet. So a check on upstream outputs never fails a preview: the missing
 * entry is reported (a warning, and the stack output `awaitingUpstream`), and `up`, which applies the upstream
 * layer first, finds it. In an update the check fails, and it gates exactly the resources that need it. Here a
 * check is a reference (`UpstreamCheck`); the plan (plan/data.ts) and the registrar (stacks/registrar.ts)
 * resolve it.
 */
import { type Dependency, PENDING, type Ref, Specs, type UpstreamCheck, ref } from "../components/core/spec";
import { type StackIdentity, stackName } from "../layers/identity";
import type { LayerProgram } from "../layers/names";
import type { Contribution, StackBuilder, UpstreamStack } from "../layers/stack";
import { Providers } from "./providers";

export type { LayerInput, LayerProgram } from "../layers/names";

/** What must hold in an upstream output: each path exists, holding `includes` where given. */
export type Presence = UpstreamCheck["present"];

export class Upstream implements UpstreamStack {
  readonly stack: string;

  constructor(id: StackIdentity) {
    this.stack = stackName(id);
  }

  private check(output: string, what: string, present: Presence): UpstreamCheck {
    return { stack: this.stack, output, what, present };
  }

  /** `value` once `present` holds for the upstream output `output` (in a preview: reported if it does not). */
  require(output: string, what: string, present: Presence, value: unknown): Ref {
    return ref({ $ref: "upstream", check: this.check(output, what, present), value });
  }

  /** For `dependsOn`: no resource when `present` holds (or in a preview); fails in an update otherwise. */
  gate(output: string, what: string, present: Presence): Dependency {
    return { $gate: this.check(output, what, present) };
  }
}

/**
 * A layer's program from its list of contributions (one per concern, in order): each adds its specs to the
 * stack, and the stack's reads are every upstream stack a contribution asked for.
 */
export function layerProgram(contributions: readonly Contribution[]): LayerProgram {
  return (input) => {
    const specs = new Specs();
    const reads = new Map<string, Upstream>();
    const read = (id: StackIdentity) => {
      let u = reads.get(stackName(id));
      if (!u) reads.set(stackName(id), (u = new Upstream(id)));
      return u;
    };
    const shard = input.part?.shard;
    const stack: StackBuilder = {
      input,
      specs,
      providers: Providers.of(specs, input),
      upstream: (layer) =>
        read({ env: input.model.environment.name, layer, ...(shard !== undefined ? { shard } : {}) }),
      stackOf: read,
      outputs: {},
      handles: new Map(),
    };
    for (const contribute of contributions) contribute(stack);
    // a stack that reads upstream says what it found missing there (a preview before that layer is applied)
    if (reads.size > 0) stack.outputs.awaitingUpstream = PENDING;
    return { resources: specs.list, outputs: stack.outputs, reads: [...reads.keys()] };
  };
}
