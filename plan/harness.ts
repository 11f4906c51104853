/**
 * Runs a Pulumi program in-process under Pulumi's mock runtime and records every resource it registers:
 * type, name, inputs as the provider would receive them, protect flag, parent and owning tenant.
 * `tenancy plan` and the component tests both use this; there is no second way of evaluating a program.
 */
import * as pulumi from "@pulumi/pulumi";
import { PROJECT, providerUrn } from "../layers/identity";

/** Exported by the SDK's runtime module but marked internal in its typings: waits until every registration is done. */
const { waitForRPCs } = pulumi.runtime as unknown as { waitForRPCs: () => Promise<void> };

export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  /** false for component resources */
  custom: boolean;
  protect: boolean;
  deleteBeforeReplace: boolean;
  parentUrn?: string;
  parentType?: string;
  /** The provider reference (`<provider urn>::<id>`) the resource was registered with, if any. */
  provider?: string;
  /** Former names the resource was registered with (name aliases; URN aliases as URNs). */
  aliases: string[];
  /** URNs the resource depends on explicitly (`dependsOn`). */
  dependsOn: string[];
  /** URN of the resource it is deleted with (`deletedWith`), if any. */
  deletedWith?: string;
  /** The id to import an existing resource by (`import`), if any. */
  importId?: string;
  /**
   * The owning tenant: the nearest ancestor (or the resource itself) that registered a `tenant` output, which
   * every tenant's component does (ARCHITECTURE.md, "Ownership").
   */
  tenant?: string;
  inputs: Record<string, unknown>;
  /** A component's registered outputs. */
  outputs?: Record<string, unknown>;
}

/** A resource the program read (`<Resource>.get`), with its outputs as the engine's checkpoint stores them. */
export interface RecordedRead {
  urn: string;
  type: string;
  name: string;
  id: string;
  /** Secret values as "[secret]" (the checkpoint encrypts them), `additionalSecretOutputs` applied. */
  outputs: Record<string, unknown>;
}

export interface ProgramRun {
  resources: RecordedResource[];
  outputs: Record<string, unknown>;
  /** What the program read, when the run was given a `read` that found it. */
  reads?: RecordedRead[];
}

export interface RunOptions {
  project?: string;
  stack: string;
  /**
   * Outputs of other stacks, by fully qualified StackReference name, as the engine reads them: a stack's last
   * applied outputs (`{}` for a stack created but never updated); a stack not listed does not exist, and
   * referencing it fails as the engine does (`unknown stack`).
   */
  stackOutputs?: Record<string, Record<string, unknown>>;
  /**
   * Run as a preview (`pulumi.runtime.isDryRun()` is true), as the engine runs `pulumi preview`.
   * @default false - as an update
   */
  dryRun?: boolean;
  /** Pulumi config, e.g. `{ "tenancy:environment": "example" }`. */
  config?: Record<string, string>;
  /**
   * What a read (`<Resource>.get`) finds, as a provider's Read answers the engine: the object the program gets
   * (`state`), and the outputs the checkpoint stores (`stored`, secret values as "[secret]"); undefined: not
   * modelled, the mock echoes the read's inputs back.
   * @default - every read echoes its inputs
   */
  read?: (r: {
    type: string;
    name: string;
    id: string;
    /** The provider the read names, as registered in this run. */
    provider?: RecordedResource;
  }) => Promise<{ state: Record<string, unknown>; stored: Record<string, unknown> } | undefined>;
  /**
   * What a data source answers (an invoke: Vault's KV read `vault:kv/getSecretV2:getSecretV2`), as the provider
   * would; undefined: the mock echoes the invoke's inputs.
   * @default - every invoke echoes its inputs
   */
  invoke?: (r: {
    token: string;
    inputs: Record<string, unknown>;
  }) => Promise<Record<string, unknown> | undefined> | Record<string, unknown> | undefined;
  /**
   * Sees a resource's inputs as the engine receives them, secret values still in their wire form (before the
   * record redacts them): what a test checks reaches the provider, and is marked secret.
   */
  observeInputs?: (r: RecordedResource, inputs: Record<string, unknown>) => void;
}

const STACK_REFERENCE = "pulumi:pulumi:StackReference";
export const MOCK_ORGANIZATION = "organization";

interface MonitorRequest {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getProtect(): boolean;
  getDeletebeforereplace(): boolean;
  getParent(): string;
  getObject(): Parameters<typeof pulumi.runtime.deserializeProperties>[0];
  getUrn(): string;
  getProvider(): string;
  getAliasesList(): { getSpec(): { getName(): string } | undefined; getUrn(): string }[];
  getDependenciesList(): string[];
  getDeletedwith(): string;
  getImportid(): string;
  getOutputs(): Parameters<typeof pulumi.runtime.deserializeProperties>[0];
  getAdditionalsecretoutputsList(): string[];
}
type Callback = (err: unknown, resp: unknown) => void;
interface MockMonitorLike {
  newUrn(parent: string, type: string, name: string): string;
  registerResource(req: MonitorRequest, cb: Callback): Promise<void>;
  readResource(req: MonitorRequest, cb: Callback): Promise<void>;
  registerResourceOutputs(req: MonitorRequest, cb: Callback): void;
}

// The mock runtime is process-global: runs are serialised.
let queue: Promise<unknown> = Promise.resolve();

export function runProgram(
  opts: RunOptions,
  program: () => Promise<Record<string, unknown> | void>,
): Promise<ProgramRun> {
  const run = queue.then(() => withCheapStackTraces(() => runExclusive(opts, program)));
  queue = run.catch(() => undefined);
  return run;
}

/* eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK's module object, patched below */
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
  debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
};

/** The SDK's Resource class: `callsites` is a static method it calls through the class. */
const ResourceClass = pulumi.Resource as unknown as { callsites: () => unknown[] };

/**
 * The SDK records a stack trace for every promise and resource it creates, and tracks every promise for a
 * leak report at exit (for leak reports and source positions, neither of which a plan uses); that was most of
 * a plan's time, memory and garbage. During a run no stack frame is captured, promises are not wrapped (the
 * SDK calls `debuggablePromise` through its module object, so replacing it there takes effect) and a resource
 * records no call sites (`Resource.callsites` lifts the stack limit itself to find the source position the
 * engine shows; with none, the SDK registers the resource without one); all are restored after.
 * TENANCY_DEBUG=1 keeps them.
 */
async function withCheapStackTraces<T>(fn: () => Promise<T>): Promise<T> {
  if (process.env.TENANCY_DEBUG) return fn();
  const enabled = (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled ?? false;
  const limit = Error.stackTraceLimit;
  const wrap = debuggable.debuggablePromise;
  const callsites = ResourceClass.callsites;
  process.setSourceMapsEnabled(false);
  Error.stackTraceLimit = 0;
  debuggable.debuggablePromise = (p) => p;
  ResourceClass.callsites = () => [];
  try {
    return await fn();
  } finally {
    ResourceClass.callsites = callsites;
    debuggable.debuggablePromise = wrap;
    Error.stackTraceLimit = limit;
    process.setSourceMapsEnabled(enabled);
  }
}

async function runExclusive(
  opts: RunOptions,
  program: () => Promise<Record<string, unknown> | void>,
): Promise<ProgramRun> {
  const project = opts.project ?? PROJECT;
  const stackOutputs = opts.stackOutputs ?? {};
  /** The resource being registered: the mock monitor hands its deserialised inputs to `newResource`. */
  let registering: RecordedResource | undefined;
  /** The read under way (the mock monitor calls `newResource` for it too), and what reads found. */
  let reading: { urn: string; secretOutputs: string[] } | undefined;
  const found: RecordedRead[] = [];
  const recorded: RecordedResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        if (registering) {
          opts.observeInputs?.(registering, args.inputs);
          registering.inputs = redactSecrets(args.inputs) as Record<string, unknown>;
          registering = undefined;
        }
        if (args.type === STACK_REFERENCE) {
          const outputs = Object.hasOwn(stackOutputs, args.name) ? stackOutputs[args.name] : undefined;
          // the engine's own words (pkg/backend/backend.go) for a stack that does not exist
          if (!outputs) throw new Error(`unknown stack ${JSON.stringify(args.name)}`);
          return { id: args.name, state: { name: args.name, outputs } };
        }
        const read = reading;
        reading = undefined;
        if (read && opts.read && args.id) {
          const id = args.id;
          const ofProvider = args.provider ? providerUrn(args.provider) : undefined;
          const provider = recorded.find((r) => r.urn === ofProvider);
          return opts
            .read({ type: args.type, name: args.name, id, ...(provider ? { provider } : {}) })
            .then((answer) => {
              if (!answer) return { id, state: args.inputs };
              // the step executor marks the read's additionalSecretOutputs secret before the checkpoint
              // records it (pkg/resource/deploy/step_executor.go, executeStep)
              const outputs = { ...answer.stored };
              for (const k of read.secretOutputs) if (Object.hasOwn(outputs, k)) outputs[k] = "[secret]";
              found.push({ urn: read.urn, type: args.type, name: args.name, id, outputs });
              return { id, state: answer.state };
            });
        }
        // a mock echoes the inputs back as the resource's state, with a stable id
        return { id: `${args.name}-id`, state: args.inputs };
      },
      async call(args) {
        // a data source (Vault's KV read): what the test's world answers, else its inputs echoed
        return (await opts.invoke?.({ token: args.token, inputs: args.inputs })) ?? args.inputs;
      },
    },
    project,
    opts.stack,
    opts.dryRun ?? false,
    MOCK_ORGANIZATION,
  );
  pulumi.runtime.setAllConfig(opts.config ?? {});

  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorLike;
  const tenantOf = new Map<string, string>();
  const outputsOf = new Map<string, Record<string, unknown>>();
  // what a program reads (a StackReference is a read): its URNs count with the registered ones below
  const reads: string[] = [];
  const read = monitor.readResource.bind(monitor);
  monitor.readResource = (req, cb) => {
    const urn = monitor.newUrn(req.getParent(), req.getType(), req.getName());
    reads.push(urn);
    // the mock monitor calls `newResource` before its first await
    reading = { urn, secretOutputs: req.getAdditionalsecretoutputsList() };
    try {
      return read(req, cb);
    } finally {
      reading = undefined;
    }
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const parentUrn = req.getParent() || undefined;
    const provider = req.getProvider() || undefined;
    const deletedWith = req.getDeletedwith() || undefined;
    const importId = req.getImportid() || undefined;
    const record: RecordedResource = {
      urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      protect: req.getProtect(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
      ...(parentUrn ? { parentUrn } : {}),
      ...(provider ? { provider } : {}),
      // name aliases only: the providers add type aliases of their own (e.g. NetworkPolicy's extensions/v1beta1)
      aliases: req
        .getAliasesList()
        .map((a) => a.getSpec()?.getName() ?? a.getUrn())
        .filter((n) => n !== ""),
      dependsOn: req.getDependenciesList(),
      ...(deletedWith ? { deletedWith } : {}),
      ...(importId ? { importId } : {}),
      inputs: {},
    };
    recorded.push(record);
    // the mock monitor deserialises the inputs and calls `newResource` before its first await; should a
    // version of it not, the inputs are deserialised here
    registering = record;
    try {
      return register(req, cb);
    } finally {
      if (registering === record)
        record.inputs = redactSecrets(pulumi.runtime.deserializeProperties(req.getObject())) as Record<
          string,
          unknown
        >;
      registering = undefined;
    }
  };
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, cb) => {
    const outputs = pulumi.runtime.deserializeProperties(req.getOutputs()) as Record<string, unknown>;
    if (typeof outputs.tenant === "string") tenantOf.set(req.getUrn(), outputs.tenant);
    outputsOf.set(req.getUrn(), outputs);
    return registerOutputs(req, cb);
  };

  const outputs = await failingLikeTheRuntime(async () => {
    const out = (await pulumi.runtime.runInPulumiStack(async () => (await program()) ?? {})) ?? {};
    await waitForRPCs();
    return out;
  });

  const byUrn = new Map(recorded.map((r) => [r.urn, r]));
  // the mock monitor takes a URN twice; the engine refuses a program registering or reading one twice
  // (pkg/resource/deploy/step_generator.go, generateURN: "Duplicate resource URN")
  const urns = [...recorded.map((r) => r.urn), ...reads];
  if (new Set(urns).size !== urns.length) {
    const seen = new Set<string>();
    const twice = urns.find((u) => seen.size === seen.add(u).size)!;
    throw new Error(
      `duplicate resource URN ${twice}: the Pulumi engine refuses a program registering or reading it twice`,
    );
  }
  const resources = recorded.filter((r) => r.type !== "pulumi:pulumi:Stack");
  for (const r of resources) {
    const registered = outputsOf.get(r.urn);
    if (!r.custom && registered) r.outputs = registered;
    const parent = r.parentUrn ? byUrn.get(r.parentUrn) : undefined;
    if (parent && parent.type !== "pulumi:pulumi:Stack") r.parentType = parent.type;
    // the resource itself first (a tenant component), then its ancestors: the nearest owner wins
    for (let urn: string | undefined = r.urn; urn; urn = byUrn.get(urn)?.parentUrn) {
      const tenant = tenantOf.get(urn);
      if (tenant !== undefined) {
        r.tenant = tenant;
        break;
      }
    }
  }
  return {
    resources,
    outputs: JSON.parse(JSON.stringify(outputs)) as Record<string, unknown>,
    ...(found.length > 0 ? { reads: found } : {}),
  };
}

/**
 * A program fails the way Pulumi's language host makes it fail: when an input of some resource rejects (an
 * upstream check in an update, say), every resource and output depending on it rejects too, mostly in promises
 * nobody awaits. The language host catches those process-wide and fails the program with the first; so does
 * this, for the duration of one run, instead of leaving them to whoever listens (a test runner, Node's default).
 */
async function failingLikeTheRuntime<T>(run: () => Promise<T>): Promise<T> {
  const unhandled: unknown[] = [];
  const collect = (reason: unknown) => unhandled.push(reason);
  const saved = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", collect);
  // rejections are reported a turn of the event loop after they happen
  const settle = async () => {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  try {
    const result = await run();
    await settle();
    if (unhandled.length > 0) throw unhandled[0];
    return result;
  } catch (e) {
    await settle();
    throw e;
  } finally {
    process.off("unhandledRejection", collect);
    for (const l of saved) process.on("unhandledRejection", l);
  }
}

/** The wire form of a secret value (Pulumi's "special signature" for secrets). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** `value` with every secret in it (Pulumi's wire form) replaced by what `f` makes of the secret's value. */
function mapSecrets(value: unknown, f: (secret: unknown) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => mapSecrets(v, f));
  if (value === null || typeof value !== "object") return value;
  const o = value as Record<string, unknown>;
  if (o[SECRET_SIG] === SECRET_VALUE) return f(o.value);
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, mapSecrets(v, f)]));
}

/**
 * Inputs as the provider receives them: every secret value unwrapped (the fake engine's providers write these to
 * their world, as the real providers write the plaintext to theirs).
 */
export function revealSecrets(value: unknown): unknown {
  return mapSecrets(value, revealSecrets);
}

/** Inputs as a plan may show them: every secret value replaced by "[secret]", whatever it holds. */
export function redactSecrets(value: unknown): unknown {
  return mapSecrets(value, () => "[secret]");
}
