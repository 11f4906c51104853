/**
 * A stack's specs read as data, with no SDK (ARCHITECTURE.md, "Resources as data"): references resolved the way
 * the engine would see them once the upstream stacks hold what they hold, inputs as the provider receives them.
 * `plan`, `diff`, `access`, `can-i`, the portal and the rest read what this returns; the registrar
 * (stacks/registrar.ts) registers the same specs, and test/plan/equivalence.test.ts proves both agree under the
 * mock runtime.
 */
import {
  type Dependency,
  type Ref,
  type ResourceSpec,
  type StackSpecs,
  type UpstreamCheck,
  checkHolds,
  isPending,
  isRef,
  notRegisteredBefore,
  unknownRef,
  upstreamMissing,
} from "../components/core/spec";
import { PROJECT } from "../layers/identity";

/** What a stack's references read: the upstream stacks' outputs by stack name, and whether this is a preview. */
export interface DataContext {
  /** Upstream stacks' outputs by stack name (`{}`: created, never updated; absent: no such stack). */
  outputs: Readonly<Record<string, Record<string, unknown> | undefined>>;
  /** A preview: a missing upstream entry is reported, not an error. */
  dryRun: boolean;
  /** The organization a StackReference names (the engine's error names it). @default organization */
  organization?: string;
  /**
   * Upstream checks hold and upstream stacks exist, whatever `outputs` says: a plan of some tenants in the planned
   * view, whose upstream stacks are planned for those tenants only (or not at all), while a stack's shared part
   * may check every tenant (the shared CI deployer waits for every vault shard). What will exist once every
   * layer is applied holds them by construction; the plan of every tenant checks them for real.
   * @default false
   */
  assumeUpstream?: boolean;
}

/** A spec as the engine would receive it: references resolved, with its owner, parent type and cluster. */
export interface ResolvedResource {
  spec: ResourceSpec;
  inputs: Record<string, unknown>;
  tenant?: string;
  parentType?: string;
  cluster?: string;
  /** The specs' keys it depends on, gates resolved away. */
  dependsOn: string[];
}

export interface ResolvedStack {
  resources: ResolvedResource[];
  outputs: Record<string, unknown>;
}

/** The value a secret shows as in a plan. */
export const SECRET = "[secret]";

/**
 * Resolves one stack. An upstream check that does not hold fails the stack in an update (the engine fails
 * every resource taking it) and is reported in `awaitingUpstream` in a preview; a stack read that does not
 * exist fails as the engine fails (`unknown stack`).
 */
export function resolveStack(stack: StackSpecs, ctx: DataContext): ResolvedStack {
  const organization = ctx.organization ?? "organization";
  for (const read of stack.reads)
    if (!ctx.assumeUpstream && !ctx.outputs[read])
      // the engine's own words (pkg/backend/backend.go) for a stack that does not exist
      throw new Error(`unknown stack ${JSON.stringify(`${organization}/${PROJECT}/${read}`)}`);
  const missing = new Set<string>();
  const byKey = new Map(stack.resources.map((s) => [s.key, s]));
  const order = new Map(stack.resources.map((s, i) => [s.key, i]));
  let current = 0;
  // what a resource refers to is registered before it, as the registrar requires
  const earlier = (key: string): string => {
    if (!((order.get(key) ?? Infinity) < current))
      throw new Error(notRegisteredBefore(stack.resources[current]!.key, key));
    return key;
  };
  const check = (c: UpstreamCheck) => {
    if (ctx.assumeUpstream || checkHolds(c, ctx.outputs[c.stack]?.[c.output])) return;
    if (!ctx.dryRun) throw new Error(upstreamMissing(c));
    missing.add(c.what);
  };
  const resolve = (value: unknown): unknown => {
    if (isRef(value)) return resolveRef(value);
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== "object") return value;
    // keys sorted, as the engine's wire form (a protobuf Struct) hands them to the provider
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const r = resolve((value as Record<string, unknown>)[k]);
      if (r !== undefined) out[k] = r;
    }
    return out;
  };
  const resolveRef = (ref: Ref): unknown => {
    switch (ref.$ref) {
      case "upstream":
        check(ref.check);
        return resolve(ref.value);
      case "secret":
      case "sharedTls":
      case "vaultKv":
        return SECRET;
      case "config":
        return undefined;
      case "output": {
        const target = byKey.get(earlier(ref.spec))!;
        // a property the resource echoes from its inputs is known; its id only once it exists
        if (ref.property !== "id") return resolve(target.inputs[ref.property]);
        return `${target.name}-id`;
      }
      default:
        return unknownRef(ref);
    }
  };
  const gates = (deps: Dependency[] | undefined): string[] =>
    (deps ?? []).flatMap((d) => {
      if (typeof d === "string") return [earlier(d)];
      check(d.$gate);
      return [];
    });

  const tenantOf = new Map<string, string | undefined>();
  const resources = stack.resources.map((spec, i): ResolvedResource => {
    current = i;
    for (const key of [spec.parent, spec.provider, spec.deletedWith, ...(spec.providers ?? [])])
      if (key !== undefined) earlier(key);
    const parent = spec.parent ? byKey.get(spec.parent) : undefined;
    const tenant = spec.tenant ?? (spec.parent ? tenantOf.get(spec.parent) : undefined);
    tenantOf.set(spec.key, tenant);
    const inputs = resolve(spec.inputs) as Record<string, unknown>;
    return {
      spec,
      inputs: spec.type.startsWith("pulumi:providers:") ? providerInputs(spec.type, inputs) : inputs,
      ...(tenant !== undefined ? { tenant } : {}),
      ...(parent ? { parentType: parent.type } : {}),
      ...(spec.cluster !== undefined ? { cluster: spec.cluster } : {}),
      dependsOn: gates(spec.dependsOn),
    };
  });
  const outputs = Object.fromEntries(
    Object.entries(stack.outputs).map(([k, v]) => [k, isPending(v) ? [...missing].sort() : v]),
  );
  return { resources, outputs: JSON.parse(JSON.stringify(outputs)) as Record<string, unknown> };
}

/**
 * A provider's configuration as the engine receives it: the provider SDKs send every non-string value
 * JSON-encoded (e.g. @pulumi/kubernetes provider.js `pulumi.output(...).apply(JSON.stringify)`), and the Vault
 * SDK fills in `maxRetries` (2) and `maxLeaseTtlSeconds` (1200) when not given (@pulumi/vault provider.js).
 * The SDKs' defaults read from environment variables (KUBECONFIG, VAULT_MAX_RETRIES, PULUMI_K8S_*) are the
 * machine's, not the plan's: they are left out.
 */
function providerInputs(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const withDefaults =
    type === "pulumi:providers:vault" ? { maxLeaseTtlSeconds: 1200, maxRetries: 2, ...inputs } : inputs;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(withDefaults).sort()) {
    const v = withDefaults[k as keyof typeof withDefaults];
    out[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}
