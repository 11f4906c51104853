/**
 * The registrar (ARCHITECTURE.md, "Resources as data"): the one place resource specs become Pulumi SDK resources.
 * A spec's type token picks the provider SDK's typed class; a component spec becomes a component with its
 * registered outputs; references are resolved to Outputs (another resource's output, an upstream check, a
 * secret, the shared TLS data read at run time, a secret config value, a Secret's data read from Vault KV). `preview`, `up`, `destroy`, `adopt` and
 * `pulumi up -s` run every layer through here; the offline commands never load it.
 */
import * as cloudflare from "@pulumi/cloudflare";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
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
  upstreamAwaited,
  upstreamMissing,
} from "../components/core/spec";
import { kvSecretData } from "../components/shared/vault-kv";
import { parseStackName, stackReferenceName } from "../layers/identity";
import type { Layer, LayerInput, LayerName } from "../layers/names";
import { type AppliedNames, appliedNames } from "../policy/names";

type CustomClass = new (
  name: string,
  args: Record<string, unknown>,
  opts: pulumi.CustomResourceOptions,
) => pulumi.CustomResource;

/** The typed class of every type token a layer program specifies (Kubernetes CRDs: CustomResource). */
const CLASSES: Record<string, unknown> = {
  "pulumi:providers:kubernetes": k8s.Provider,
  "pulumi:providers:vault": vault.Provider,
  "pulumi:providers:cloudflare": cloudflare.Provider,
  "kubernetes:core/v1:Namespace": k8s.core.v1.Namespace,
  "kubernetes:core/v1:ResourceQuota": k8s.core.v1.ResourceQuota,
  "kubernetes:core/v1:LimitRange": k8s.core.v1.LimitRange,
  "kubernetes:core/v1:ConfigMap": k8s.core.v1.ConfigMap,
  "kubernetes:core/v1:Secret": k8s.core.v1.Secret,
  "kubernetes:core/v1:Service": k8s.core.v1.Service,
  "kubernetes:core/v1:PersistentVolumeClaim": k8s.core.v1.PersistentVolumeClaim,
  "kubernetes:core/v1:ServiceAccount": k8s.core.v1.ServiceAccount,
  "kubernetes:apps/v1:Deployment": k8s.apps.v1.Deployment,
  "kubernetes:networking.k8s.io/v1:NetworkPolicy": k8s.networking.v1.NetworkPolicy,
  "kubernetes:networking.k8s.io/v1:Ingress": k8s.networking.v1.Ingress,
  "kubernetes:rbac.authorization.k8s.io/v1:Role": k8s.rbac.v1.Role,
  "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": k8s.rbac.v1.RoleBinding,
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": k8s.rbac.v1.ClusterRole,
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": k8s.rbac.v1.ClusterRoleBinding,
  "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy":
    k8s.admissionregistration.v1.ValidatingAdmissionPolicy,
  "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding":
    k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding,
  // sig-network's network-policy-api: a CRD in a Kubernetes group, so named here
  "kubernetes:policy.networking.k8s.io/v1alpha1:AdminNetworkPolicy": k8s.apiextensions.CustomResource,
  "vault:index/policy:Policy": vault.Policy,
  "vault:identity/entity:Entity": vault.identity.Entity,
  "vault:identity/entityAlias:EntityAlias": vault.identity.EntityAlias,
  "vault:kubernetes/secretBackendRole:SecretBackendRole": vault.kubernetes.SecretBackendRole,
  "vault:kubernetes/authBackendRole:AuthBackendRole": vault.kubernetes.AuthBackendRole,
  "vault:jwt/authBackendRole:AuthBackendRole": vault.jwt.AuthBackendRole,
  "vault:transit/secretBackendKey:SecretBackendKey": vault.transit.SecretBackendKey,
  "cloudflare:index/dnsRecord:DnsRecord": cloudflare.DnsRecord,
};

function classOf(type: string): CustomClass {
  const known = CLASSES[type];
  if (known) return known as CustomClass;
  // a custom resource definition's kind (cert-manager's Certificate): a dotted group that is not Kubernetes'
  // own (`*.k8s.io`, which a kind missing from the table would have); its token comes from apiVersion and kind
  const group = /^kubernetes:([^/:]*)\//.exec(type)?.[1] ?? "";
  if (group.includes(".") && !group.endsWith("k8s.io"))
    return k8s.apiextensions.CustomResource as unknown as CustomClass;
  throw new Error(`the registrar has no class for resource type ${type}`);
}

/** A component made from a spec: it groups its children and registers its outputs (its `tenant` among them). */
class SpecComponent extends pulumi.ComponentResource {
  constructor(type: string, name: string, outputs: pulumi.Inputs, opts: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    this.registerOutputs(outputs);
  }
}

/**
 * An upstream stack's outputs, read through a StackReference the way the real engine does (ARCHITECTURE.md,
 * "Two views"): its last applied outputs, in a preview too.
 */
export class StackOutputs {
  readonly stack: string;
  private readonly reference: pulumi.StackReference;
  private readonly awaiting: pulumi.Output<string | undefined>[] = [];
  private readonly outputs = new Map<string, pulumi.Output<unknown>>();

  constructor(stack: string) {
    const id = parseStackName(stack);
    if (!id) throw new Error(`not a stack of tenancy: ${stack}`);
    this.stack = stack;
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
   * One Output per name: the SDK's `getOutput` walks every output of the upstream stack each time it is called
   * (to lift nested outputs), and a program asks for the same output once per tenant or namespace.
   */
  private output(name: string): pulumi.Output<unknown> {
    let out = this.outputs.get(name);
    if (!out) this.outputs.set(name, (out = this.reference.getOutput(name)));
    return out;
  }

  /**
   * `value` once the check holds. In a preview a missing entry is reported and `value` returned all the same;
   * in an update the Output fails, and with it every resource that takes it as an input or in `dependsOn`.
   */
  require<T>(check: UpstreamCheck, value: T): pulumi.Output<T> {
    const checked = this.output(check.output).apply((o) => {
      if (checkHolds(check, o)) return { value, missing: undefined };
      if (!pulumi.runtime.isDryRun()) throw new Error(upstreamMissing(check));
      pulumi.log.warn(upstreamAwaited(check));
      return { value, missing: check.what };
    });
    this.awaiting.push(checked.apply((c) => c.missing));
    return checked.apply((c) => c.value);
  }

  /** What this stack's checks found missing (a preview before the upstream layer is applied). */
  pending(): pulumi.Output<string | undefined>[] {
    return this.awaiting;
  }
}

/**
 * One program's StackReferences, one per upstream stack: a second reference to the same stack would be a second
 * resource of the same URN, which the engine refuses ("Duplicate resource URN").
 */
export class StackReaders {
  private readonly made = new Map<string, StackOutputs>();

  get(stack: string): StackOutputs {
    let r = this.made.get(stack);
    if (!r) this.made.set(stack, (r = new StackOutputs(stack)));
    return r;
  }

  all(): StackOutputs[] {
    return [...this.made.values()];
  }
}

/** Registers one stack's specs; returns its outputs. Every spec's parent, provider and dependencies come first. */
export function registerStack(
  stack: StackSpecs,
  readers: StackReaders = new StackReaders(),
): Record<string, unknown> {
  for (const s of stack.reads) readers.get(s);
  const reader = (s: string) => readers.get(s);
  const made = new Map<string, pulumi.Resource>();
  const get = (key: string, by: ResourceSpec): pulumi.Resource => {
    const r = made.get(key);
    if (!r) throw new Error(notRegisteredBefore(by.key, key));
    return r;
  };
  const tlsData = new Map<string, pulumi.Output<Record<string, string>>>();
  const kvReads = new Map<string, pulumi.Output<unknown>>();

  const resolveRef = (ref: Ref, by: ResourceSpec): unknown => {
    switch (ref.$ref) {
      case "output":
        return (get(ref.spec, by) as unknown as Record<string, unknown>)[ref.property];
      case "upstream":
        return reader(ref.check.stack).require(ref.check, resolve(ref.value, by));
      case "secret":
        return pulumi.secret(resolve(ref.value, by) as pulumi.Input<unknown>);
      case "config": {
        const [namespace, key] = ref.key.split(":") as [string, string];
        return new pulumi.Config(namespace).getSecret(key);
      }
      case "sharedTls": {
        let data = tlsData.get(ref.provider);
        if (!data) {
          // the read's outputs are the live object (pulumi-kubernetes Read), of which the provider keeps only `data`
          // and `stringData` secret: a `kubectl apply`'s last-applied-configuration annotation (the whole
          // manifest, the key included) would be stored in the clear. So its metadata, and the inputs the
          // provider stores beside it, are secret in the state too (ARCHITECTURE.md, "Safety")
          const secretObject = k8s.core.v1.Secret.get(ref.name, `${ref.namespace}/${ref.secretName}`, {
            provider: get(ref.provider, by) as pulumi.ProviderResource,
            additionalSecretOutputs: ["metadata", "__inputs"],
          });
          tlsData.set(ref.provider, (data = pulumi.secret(secretObject.data.apply((d) => d ?? {}))));
        }
        return data;
      }
      case "vaultKv": {
        // one read per KV secret and provider; a data source, read in a preview too. Its answer is checked
        // (components/shared/vault-kv.ts) and secret: never in the state, a diff or a log in the clear
        const key = `${ref.provider}\0${ref.mount}\0${ref.path}`;
        let data = kvReads.get(key);
        if (!data)
          kvReads.set(
            key,
            (data = vault.kv
              .getSecretV2Output(
                { mount: ref.mount, name: ref.path },
                { provider: get(ref.provider, by) as pulumi.ProviderResource },
              )
              .apply((answer) => answer.data as unknown)),
          );
        const read = { mount: ref.mount, path: ref.path, keys: ref.keys, secretType: ref.secretType };
        return pulumi.secret(data.apply((answer) => kvSecretData(answer, read)));
      }
      default:
        return unknownRef(ref);
    }
  };
  const resolve = (value: unknown, by: ResourceSpec): unknown => {
    if (isRef(value)) return resolveRef(value, by);
    if (Array.isArray(value)) return value.map((v) => resolve(v, by));
    if (value === null || typeof value !== "object") return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = resolve(v, by);
      if (r !== undefined) out[k] = r;
    }
    return out;
  };
  const dependencies = (deps: Dependency[] | undefined, by: ResourceSpec) => {
    if (!deps?.length) return {};
    const resources = deps.filter((d) => typeof d === "string").map((d) => get(d, by));
    const gates = deps
      .filter((d) => typeof d !== "string")
      .map((d) => reader(d.$gate.stack).require(d.$gate, [] as pulumi.Resource[]));
    return {
      dependsOn: gates.length ? pulumi.all(gates).apply((g) => [...resources, ...g.flat()]) : resources,
    };
  };

  for (const spec of stack.resources) {
    const opts: pulumi.CustomResourceOptions & pulumi.ComponentResourceOptions = {
      ...(spec.parent ? { parent: get(spec.parent, spec) } : {}),
      ...(spec.protect !== undefined ? { protect: spec.protect } : {}),
      ...(spec.deleteBeforeReplace ? { deleteBeforeReplace: true } : {}),
      ...(spec.deletedWith ? { deletedWith: get(spec.deletedWith, spec) } : {}),
      ...dependencies(spec.dependsOn, spec),
      ...(spec.aliases?.length ? { aliases: spec.aliases.map((name) => ({ name })) } : {}),
      ...(spec.importId ? { import: spec.importId } : {}),
    };
    if (!spec.custom) {
      const providers = (spec.providers ?? []).map((p) => get(p, spec) as pulumi.ProviderResource);
      const outputs = { ...spec.outputs, ...(spec.tenant !== undefined ? { tenant: spec.tenant } : {}) };
      made.set(
        spec.key,
        new SpecComponent(spec.type, spec.name, outputs, {
          ...opts,
          ...(providers.length ? { providers } : {}),
        }),
      );
      continue;
    }
    if (spec.provider) opts.provider = get(spec.provider, spec) as pulumi.ProviderResource;
    const Class = classOf(spec.type);
    made.set(spec.key, new Class(spec.name, resolve(spec.inputs, spec) as Record<string, unknown>, opts));
  }

  const pending = () =>
    pulumi
      .all(readers.all().flatMap((r) => r.pending()))
      .apply((xs) => [...new Set(xs.filter((x): x is string => x !== undefined))].sort());
  return Object.fromEntries(Object.entries(stack.outputs).map(([k, v]) => [k, isPending(v) ? pending() : v]));
}

/**
 * What the stack being run last applied, for its layer's program (`LayerInput.applied`): its own outputs, read
 * through a StackReference to itself, which reads the stored checkpoint as it was before this update (`{}` on
 * its first), in a preview too. Only platform stacks export the name templates their fences were applied under;
 * outputs that do not say (a stack applied before it exported them) give undefined: no rename is released, and
 * the engine refuses a renamed fence's replace as it always did (ARCHITECTURE.md, "Safety").
 */
export async function readApplied(
  readers: StackReaders,
  layer: LayerName,
  stack: string = pulumi.getStack(),
): Promise<AppliedNames | undefined> {
  if (layer !== "platform") return undefined;
  const own = readers.get(stack);
  const [names, namespaces] = await Promise.all([own.value("names"), own.value("namespaces")]);
  return appliedNames({ names, namespaces });
}

/**
 * A layer's Pulumi program for one stack (what `up`, the direct path and the tests run): its specs, registered.
 * `readApplied`: a real run's, which reads what the stack last applied first (the planned view does not).
 */
export function pulumiProgram(
  layer: Layer,
  input: LayerInput,
  opts: { readApplied?: boolean } = {},
): () => Promise<Record<string, unknown>> {
  return async () => {
    const readers = new StackReaders();
    const applied =
      opts.readApplied && input.applied === undefined ? await readApplied(readers, layer.name) : undefined;
    const specs = layer.program(applied ? { ...input, applied } : input);
    await checkUpstream(specs, readers);
    return registerStack(specs, readers);
  };
}

/** Every upstream check of a stack's specs: in references (nested ones too) and in `dependsOn` gates. */
function upstreamChecks(stack: StackSpecs): UpstreamCheck[] {
  const found = new Map<string, UpstreamCheck>();
  const walk = (value: unknown): void => {
    if (isRef(value)) {
      if (value.$ref === "upstream") found.set(JSON.stringify(value.check), value.check);
      if ("value" in value) walk(value.value);
    } else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === "object") Object.values(value).forEach(walk);
  };
  for (const spec of stack.resources) {
    walk(spec.inputs);
    for (const d of spec.dependsOn ?? [])
      if (typeof d !== "string") found.set(JSON.stringify(d.$gate), d.$gate);
  }
  return [...found.values()];
}

/**
 * In an update, every upstream check before anything is registered: a stack whose upstream lacks what it needs
 * fails at once, naming all of it, and changes nothing. Left to the Outputs, a check failing inside an `apply`
 * that feeds a resource whose outputs feed another can hang the update (pulumi/pulumi#14980); a preview still
 * only warns (the upstream layer is applied first by `up`).
 */
export async function checkUpstream(stack: StackSpecs, readers: StackReaders): Promise<void> {
  if (pulumi.runtime.isDryRun()) return;
  const checks = upstreamChecks(stack);
  const values = new Map<string, Promise<unknown>>();
  const valueOf = (c: UpstreamCheck) => {
    const key = `${c.stack} ${c.output}`;
    let v = values.get(key);
    if (!v) values.set(key, (v = readers.get(c.stack).value(c.output)));
    return v;
  };
  const missing: string[] = [];
  for (const c of checks) if (!checkHolds(c, await valueOf(c))) missing.push(upstreamMissing(c));
  if (missing.length > 0)
    throw new Error(
      missing.length === 1 ? missing[0] : `${missing.length} upstream entries missing: ${missing.join("; ")}`,
    );
}
