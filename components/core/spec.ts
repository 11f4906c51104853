/**
 * Resources as data (ARCHITECTURE.md, "Resources as data"). A concern turns the model into resource specs: plain
 * data saying everything the engine needs (type token, logical name, inputs, options). A value that exists only
 * once something is applied is a symbolic reference (`Ref`), never a `pulumi.Output`. The offline commands read
 * specs as they are (plan/data.ts); the registrar (stacks/registrar.ts) is the one place they become SDK
 * resources. Nothing here imports the Pulumi SDK.
 */

/** A stack's upstream read: which stack, which output, and what must be in it (all of `present`). */
export interface UpstreamCheck {
  /** The upstream stack's name (layers/identity.ts `stackName`). */
  stack: string;
  /** The upstream output read. */
  output: string;
  /** What is waited for, in words: `namespace alice-dev of tenant alice`. */
  what: string;
  /** Each path must exist in the output; with `includes`, it must be an array holding that value. */
  present: { path: string[]; includes?: string }[];
}

/** The brand of a reference: a symbol, which no registry file, environment value or Vault answer can hold. */
// registered (Symbol.for): a second copy of this module would still know a reference the first one made
const REF: unique symbol = Symbol.for("tenancy.ref") as never;

/**
 * A value known only at apply time:
 * - `output`: another spec's output property (`id`, or an input it echoes, such as a Vault policy's `name`);
 * - `upstream`: `value`, once the upstream check holds (in a preview a missing entry is reported and `value` used;
 *   in an update the value fails, and with it what takes it: ARCHITECTURE.md, "Two views");
 * - `secret`: its value kept secret in the state and never shown;
 * - `sharedTls`: the data of the environment's shared TLS secret, read on a cluster at run time (secret);
 * - `config`: a Pulumi secret config value, left out when not set;
 * - `vaultKv`: a Secret's `data` read from a Vault KV v2 secret at run time through the Vault provider (`keys`:
 *   the Secret's data key -> the KV field), checked (components/shared/vault-kv.ts) and kept secret.
 * Made by `ref` only: an object that merely has a `$ref` key (a registry value can) is data, never a reference.
 */
export type RefBody =
  | { $ref: "output"; spec: string; property: string }
  | { $ref: "upstream"; check: UpstreamCheck; value: unknown }
  | { $ref: "secret"; value: unknown }
  | { $ref: "sharedTls"; provider: string; namespace: string; secretName: string; name: string }
  | { $ref: "config"; key: string }
  | {
      $ref: "vaultKv";
      provider: string;
      mount: string;
      path: string;
      keys: Record<string, string>;
      /** The Secret's type: what the value must be (a dockerconfigjson is JSON). */
      secretType: string;
    };
export type Ref = RefBody & { readonly [REF]: true };

/** A reference (the one way to make one). */
export function ref(body: RefBody): Ref {
  return { ...body, [REF]: true } as Ref;
}

/** Whether a value is a reference `ref` made. */
export function isRef(v: unknown): v is Ref {
  return typeof v === "object" && v !== null && (v as { [REF]?: unknown })[REF] === true;
}

/** A reference of a kind no reader knows: a defect of tenancy, never silently dropped. */
export function unknownRef(r: never): never {
  throw new Error(`unknown reference kind ${JSON.stringify((r as { $ref?: unknown }).$ref)}`);
}

/** A dependency: another spec (by key), or an upstream check that must hold (resolving to no resource). */
export type Dependency = string | { $gate: UpstreamCheck };

export interface ResourceSpec {
  /** `<type>::<name>`: unique in a stack (specKey). */
  key: string;
  /** The Pulumi type token: `kubernetes:core/v1:Namespace`, a component's `tenancy:k8s:TenantNamespace`. */
  type: string;
  /** The logical name, part of the URN: never renamed without an alias. */
  name: string;
  /** false for a component (a parent that groups its children). */
  custom: boolean;
  /** As the provider receives them; may hold `Ref`s. A component has none. */
  inputs: Record<string, unknown>;
  /** The parent's key. @default - the stack */
  parent?: string;
  /** A custom resource's provider (key). */
  provider?: string;
  /** A component's providers (keys), which its children inherit. */
  providers?: string[];
  protect?: boolean;
  deleteBeforeReplace?: boolean;
  /** The key of the resource it is deleted with. */
  deletedWith?: string;
  dependsOn?: Dependency[];
  /** Former names (name aliases). */
  aliases?: string[];
  /** The id to import an existing object by. */
  importId?: string;
  /** A component's owning tenant, registered as its `tenant` output: what attributes everything below it. */
  tenant?: string;
  /** A component's registered outputs (beside `tenant`). */
  outputs?: Record<string, unknown>;
  /** A provider's or Kubernetes object's cluster. */
  cluster?: string;
}

/** What a layer program returns for one stack. */
export interface StackSpecs {
  resources: ResourceSpec[];
  /** The stack's outputs; `PENDING` stands for what its upstream checks found missing. */
  outputs: Record<string, unknown>;
  /** The upstream stacks it reads (a StackReference each, made whether or not a check uses it). */
  reads: string[];
}

/** The stack output listing what the stack found missing upstream (`awaitingUpstream`). */
export const PENDING: unique symbol = Symbol("tenancy.pending");

/** Whether an output value stands for `PENDING`. */
export function isPending(v: unknown): boolean {
  return v === PENDING;
}

/** A spec referring to one registered after it: the registrar cannot make it, and the plan refuses it too. */
export const notRegisteredBefore = (by: string, key: string): string =>
  `${by} refers to ${key}, which is not registered before it`;

/** What an update says when an upstream check does not hold (the plan and the registrar alike). */
export const upstreamMissing = (c: UpstreamCheck): string =>
  `${c.what} is not in stack ${c.stack}: run the ${c.stack} layer first`;

/** What a preview warns of when an upstream check does not hold yet. */
export const upstreamAwaited = (c: UpstreamCheck): string =>
  `${c.what} is not in stack ${c.stack} yet: \`up\` applies that layer first`;

/** Whether an upstream output holds what a check asks for: every path exists, holding `includes` where given. */
export function checkHolds(check: UpstreamCheck, output: unknown): boolean {
  return check.present.every(({ path, includes }) => {
    let v: unknown = output;
    for (const key of path) {
      if (v === null || typeof v !== "object" || !Object.hasOwn(v, key)) return false;
      v = (v as Record<string, unknown>)[key];
    }
    if (v === undefined) return false;
    return includes === undefined || (Array.isArray(v) && v.includes(includes));
  });
}

export const specKey = (type: string, name: string): string => `${type}::${name}`;

/** Another spec's output. */
export const outputOf = (spec: ResourceSpec, property: string): Ref =>
  ref({ $ref: "output", spec: spec.key, property });

/** A value kept secret. */
export const secret = (value: unknown): Ref => ref({ $ref: "secret", value });

/** Options a resource takes from its component: the parent, and what the component waits for. */
export interface Within {
  parent?: ResourceSpec;
  dependsOn?: Dependency[];
  provider?: ResourceSpec;
}

export type SpecOptions = Omit<
  Partial<ResourceSpec>,
  "key" | "type" | "name" | "custom" | "inputs" | "parent" | "provider" | "deletedWith"
> & { deletedWith?: ResourceSpec; dependsOn?: Dependency[] };

/**
 * Collects a stack's specs in registration order and refuses a key twice (the engine refuses a program that
 * registers one URN twice).
 */
export class Specs {
  readonly list: ResourceSpec[] = [];
  private readonly keys = new Map<string, ResourceSpec>();

  add(spec: ResourceSpec): ResourceSpec {
    if (this.keys.has(spec.key))
      throw new Error(
        `duplicate resource ${spec.key}: the Pulumi engine refuses a program registering it twice`,
      );
    this.keys.set(spec.key, spec);
    this.list.push(spec);
    return spec;
  }

  /** The spec added under `key`, if any. */
  get(key: string): ResourceSpec | undefined {
    return this.keys.get(key);
  }

  /** A component: a parent for what follows. */
  component(
    type: string,
    name: string,
    within: Within & { providers?: ResourceSpec[] },
    own: { tenant?: string; outputs?: Record<string, unknown>; aliases?: string[] } = {},
  ): ResourceSpec {
    return this.add({
      key: specKey(type, name),
      type,
      name,
      custom: false,
      inputs: {},
      ...(within.parent ? { parent: within.parent.key } : {}),
      ...(within.providers?.length ? { providers: within.providers.map((p) => p.key) } : {}),
      ...(within.dependsOn?.length ? { dependsOn: within.dependsOn } : {}),
      ...own,
    });
  }

  /** A custom resource, with its component's parent, dependencies and provider, then its own options. */
  resource(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    within: Within,
    own: SpecOptions = {},
  ): ResourceSpec {
    const { deletedWith, dependsOn, ...rest } = own;
    const deps = [...(within.dependsOn ?? []), ...(dependsOn ?? [])];
    return this.add({
      key: specKey(type, name),
      type,
      name,
      custom: true,
      inputs,
      ...(within.parent ? { parent: within.parent.key } : {}),
      ...(within.provider ? { provider: within.provider.key } : {}),
      ...(within.provider?.cluster !== undefined ? { cluster: within.provider.cluster } : {}),
      ...(deletedWith ? { deletedWith: deletedWith.key } : {}),
      ...(deps.length ? { dependsOn: deps } : {}),
      ...rest,
    });
  }

  /**
   * A Kubernetes object from its manifest: its type token from `apiVersion` and `kind`, the manifest its inputs;
   * an object of a kind tenancy takes over (TAKE_OVER) carries PATCH_FORCE.
   */
  kubernetes(
    name: string,
    manifest: KubernetesManifest,
    within: Within,
    own: SpecOptions = {},
  ): ResourceSpec {
    return this.resource(
      kubernetesType(manifest.apiVersion, manifest.kind),
      name,
      takenOver(manifest),
      within,
      own,
    );
  }
}

/** The Kubernetes provider's annotation forcing its server-side apply through other field managers' conflicts. */
export const PATCH_FORCE = "pulumi.com/patchForce";

/**
 * Kinds whose content tenancy defines outright, in the namespaces it owns (ARCHITECTURE.md, "Converging"):
 * tenants cannot write them, and a field another manager holds (a `kubectl edit`, a namespace made by hand) is
 * taken over, not a failed apply (server-side apply conflicts:
 * https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts). Every other kind (a Secret, a
 * ConfigMap, a cluster-wide role, a policy) may hold someone else's data: a conflict there is refused.
 */
export const TAKE_OVER: ReadonlySet<string> = new Set([
  "v1 Namespace",
  "v1 ResourceQuota",
  "v1 LimitRange",
  "networking.k8s.io/v1 NetworkPolicy",
  "rbac.authorization.k8s.io/v1 Role",
  "rbac.authorization.k8s.io/v1 RoleBinding",
]);

function takenOver(manifest: KubernetesManifest): KubernetesManifest {
  if (!TAKE_OVER.has(`${manifest.apiVersion} ${manifest.kind}`)) return manifest;
  const metadata = (manifest.metadata ?? {}) as { annotations?: Record<string, unknown> };
  return {
    ...manifest,
    metadata: { ...metadata, annotations: { ...metadata.annotations, [PATCH_FORCE]: "true" } },
  };
}

/** A Kubernetes object as the API takes it. */
export type KubernetesManifest = { apiVersion: string; kind: string } & Record<string, unknown>;

/** The type token of a Kubernetes object kind: `kubernetes:<group or core>/<version>:<Kind>`. */
export function kubernetesType(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
  return `kubernetes:${group}/${version}:${kind}`;
}

/**
 * A Kubernetes object's identity across an environment: `<cluster> <apiVersion> <kind> [<namespace>/]<name>`, or
 * undefined for a resource that is not one (a provider, a component, another provider's resource).
 */
export function kubernetesObjectKey(r: {
  type: string;
  cluster?: string;
  inputs: Record<string, unknown>;
}): string | undefined {
  if (!r.type.startsWith("kubernetes:") || r.cluster === undefined) return undefined;
  const { apiVersion, kind, metadata } = r.inputs as {
    apiVersion?: unknown;
    kind?: unknown;
    metadata?: { name?: unknown; namespace?: unknown };
  };
  if (typeof apiVersion !== "string" || typeof kind !== "string" || typeof metadata?.name !== "string")
    return undefined;
  const ns = typeof metadata.namespace === "string" ? `${metadata.namespace}/` : "";
  return `${r.cluster} ${apiVersion} ${kind} ${ns}${metadata.name}`;
}

/** A resource as the plan shows it: its inputs as the provider receives them, its owner and cluster. */
export interface PlannedResource {
  type: string;
  name: string;
  tenant?: string;
  /** The cluster a Kubernetes object (or provider) is on. */
  cluster?: string;
  parentType?: string;
  protect: boolean;
  inputs: Record<string, unknown>;
}
