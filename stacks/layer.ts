/**
 * What every layer program shares: reading an upstream layer's outputs, as data (ARCHITECTURE.md, "Two views").
 * The engine reads an upstream stack's last *applied* outputs, in a preview too: a tenant or namespace added by
 * the change being previewed is not there yet. So a check on upstream outputs never fails a preview: the missing
 * entry is reported (a warning, and the stack output `awaitingUpstream`), and `up`, which applies the upstream
 * layer first, finds it. In an update the check fails, and it gates exactly the resources that need it. Here a
 * check is a reference (`UpstreamCheck`); the plan (plan/data.ts) and the registrar (stacks/registrar.ts)
 * resolve it.
 */
import { type Dependency, type Ref, type UpstreamCheck, ref } from "../components/core/spec";
import { type StackIdentity, stackName } from "../layers/identity";
import type { LayerInput, LayerName } from "../layers/names";

export type { LayerInput, LayerProgram } from "../layers/names";

/** What must hold in an upstream output: each path exists, holding `includes` where given. */
export type Presence = UpstreamCheck["present"];

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
