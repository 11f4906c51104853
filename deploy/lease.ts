/**
 * The environment lease (ARCHITECTURE.md, "Converging"): one change to an environment at a time. A run that
 * changes stacks (`tenancy up`, `destroy`, `adopt`, a direct `pulumi up -s`, an operator's Stack) holds the
 * coordination.k8s.io/v1 Lease `tenancy-<env>` on the environment's default cluster from before the safety guard
 * reads the applied state to its last update, renewing it every third of its duration. A second run is refused
 * with the holder and its age. A holder that died stops renewing: once `renewTime + leaseDurationSeconds` has
 * passed, the next run takes the lease over (as client-go's leader election does: tools/leaderelection
 * leaderelection.go, tryAcquireOrRenew, by the record's times). Every write carries the resourceVersion it read,
 * so two runs racing for a free or expired lease cannot both win (the API server answers 409 to the loser:
 * API conventions, "Concurrency Control and Consistency").
 * The clocks of the machines that run tenancy must agree to well within the duration.
 */
import { hostname, userInfo } from "node:os";
import { CoordinationV1Api, type KubeConfig, V1MicroTime, type V1Lease } from "@kubernetes/client-node";
import { ExternalError, SafetyError } from "../components/core/problems";
import { kubeError, statusOf } from "./kube";

export interface LeaseSettings {
  namespace: string;
  durationSeconds: number;
}

/** The Lease an environment's runs share. */
export function leaseName(env: string): string {
  return `tenancy-${env}`;
}

/** Who holds a lease: the user, the machine, the process and what it runs. */
export function holderIdentity(what: string): string {
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers): the machine and pid still tell
  }
  return `${user}@${hostname()} pid ${process.pid} (${what})`;
}

/** A lease this process holds. */
export interface HeldLease {
  readonly holder: string;
  /** Why the lease was lost while held (taken over after this process failed to renew it), if it was. */
  lost(): string | undefined;
  /** Renews it now (the timer does every third of its duration). Never throws: `lost()` says what went wrong. */
  renew(): Promise<void>;
  /**
   * Keeps it for `seconds` more from now, renewed no further (the direct path, when its program ends and the
   * engine still runs the update's deletes). Never throws.
   */
  keepFor(seconds: number): Promise<void>;
  /** Gives the lease up (the next run takes it at once). Never throws, never waits long: an unreleased lease expires. */
  release(): Promise<void>;
}

export interface AcquireOptions extends LeaseSettings {
  env: string;
  /** holderIdentity() of this run. */
  holder: string;
  /** @default Date.now */
  now?: () => number;
  /** Renew every this many ms. @default a third of the duration */
  renewEveryMs?: number;
  /** Each request to the API server waits at most this long. @default 10000 */
  timeoutMs?: number;
}

/** `p`, or a rejection once `ms` have passed (the request may linger; nobody waits for it). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** When a lease runs out: its last renewal plus its duration (ms since the epoch); never renewed, at once. */
function expiresAt(spec: V1Lease["spec"], fallbackSeconds: number): number {
  const renewed = spec?.renewTime ? new Date(spec.renewTime).getTime() : 0;
  return renewed + (spec?.leaseDurationSeconds ?? fallbackSeconds) * 1000;
}

const ago = (ms: number) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s}s` : `${Math.round(s / 60)}m`;
};

/** How long one call to the API server may take, unless told otherwise. */
const LEASE_TIMEOUT_MS = 10_000;

/** The Lease calls, each bounded by `timeoutMs`. */
function leaseApi(kc: KubeConfig, timeoutMs = LEASE_TIMEOUT_MS) {
  const api = kc.makeApiClient(CoordinationV1Api);
  return {
    readNamespacedLease: (p: { name: string; namespace: string }) =>
      within(api.readNamespacedLease(p), timeoutMs, "reading the lease"),
    createNamespacedLease: (p: { namespace: string; body: V1Lease }) =>
      within(api.createNamespacedLease(p), timeoutMs, "creating the lease"),
    replaceNamespacedLease: (p: { name: string; namespace: string; body: V1Lease }) =>
      within(api.replaceNamespacedLease(p), timeoutMs, "writing the lease"),
  };
}

/** Takes the environment's lease, or refuses (SafetyError, exit 3) naming the live holder. */
export async function acquireLease(kc: KubeConfig, opts: AcquireOptions): Promise<HeldLease> {
  const api = leaseApi(kc, opts.timeoutMs);
  const now = opts.now ?? Date.now;
  const name = leaseName(opts.env);
  const where = `Lease ${opts.namespace}/${name}`;
  const fail = (what: string, e: unknown) =>
    new ExternalError(`cannot ${what} the environment lease (${where}): ${kubeError(e)}`);

  const spec = (transitions: number, acquired: number) => ({
    holderIdentity: opts.holder,
    leaseDurationSeconds: opts.durationSeconds,
    acquireTime: new V1MicroTime(acquired),
    renewTime: new V1MicroTime(now()),
    leaseTransitions: transitions,
  });
  const refuse = (lease: V1Lease) => {
    const s = lease.spec!;
    const renewed = s.renewTime ? new Date(s.renewTime).getTime() : now();
    const acquired = s.acquireTime ? new Date(s.acquireTime).getTime() : renewed;
    const expires = renewed + (s.leaseDurationSeconds ?? opts.durationSeconds) * 1000;
    return new SafetyError(
      `environment ${opts.env} is being changed by ${s.holderIdentity} (${where}, taken ${ago(now() - acquired)} ago, renewed ${ago(now() - renewed)} ago); nothing was changed. Wait for it to finish; if that run died, its lease expires in ${ago(expires - now())} and the next run takes it over`,
    );
  };
  const live = (lease: V1Lease) =>
    !!lease.spec?.holderIdentity && expiresAt(lease.spec, opts.durationSeconds) > now();

  let current: V1Lease;
  for (let attempt = 0; ; attempt++) {
    let found: V1Lease | undefined;
    try {
      found = await api.readNamespacedLease({ name, namespace: opts.namespace });
    } catch (e) {
      if (statusOf(e) !== 404) throw fail("read", e);
    }
    try {
      if (!found) {
        current = await api.createNamespacedLease({
          namespace: opts.namespace,
          body: { metadata: { name, namespace: opts.namespace }, spec: spec(0, now()) },
        });
      } else {
        if (live(found) && found.spec?.holderIdentity !== opts.holder) throw refuse(found);
        // free (released), expired, or ours: taken with the version read, so a racing run's write fails
        current = await api.replaceNamespacedLease({
          name,
          namespace: opts.namespace,
          body: {
            metadata: { ...found.metadata, name, namespace: opts.namespace },
            spec: spec((found.spec?.leaseTransitions ?? 0) + 1, now()),
          },
        });
      }
      break;
    } catch (e) {
      if (e instanceof SafetyError) throw e;
      // another run created or took it between our read and our write: read again, once
      if (statusOf(e) === 409 && attempt === 0) continue;
      if (statusOf(e) === 409)
        throw refuse((await api.readNamespacedLease({ name, namespace: opts.namespace }))!);
      throw fail(found ? "take" : "create", e);
    }
  }

  let lostWhy: string | undefined;
  let renewing: Promise<void> = Promise.resolve();
  let renewed = now();
  // client-go's renew deadline: a holder that could not renew for two thirds of the duration stops acting as
  // the holder, before anyone else may take the lease (leaderelection.go, RenewDeadline < LeaseDuration)
  const deadline = (opts.durationSeconds * 1000 * 2) / 3;
  const lost = () =>
    lostWhy ??
    (now() - renewed >= deadline
      ? `the environment lease could not be renewed for ${ago(now() - renewed)}: another run may take it soon`
      : undefined);
  const renew = async () => {
    if (lostWhy) return;
    try {
      current = await api.replaceNamespacedLease({
        name,
        namespace: opts.namespace,
        body: { ...current, spec: { ...current.spec, renewTime: new V1MicroTime(now()) } },
      });
      renewed = now();
    } catch (e) {
      if (statusOf(e) === 409) {
        // someone wrote it since: ours still, if only our own renewal raced; else taken over
        const seen = await api
          .readNamespacedLease({ name, namespace: opts.namespace })
          .catch(() => undefined);
        if (seen?.spec?.holderIdentity === opts.holder) current = seen;
        else
          lostWhy = `the environment lease was taken over by ${seen?.spec?.holderIdentity ?? "another run"}`;
      }
      // other failures (the API server unreachable, slow): retried at the next tick; past the deadline, lost()
      // says so
    }
  };
  const renewNow = () => (renewing = renewing.then(renew));
  const timer = setInterval(() => void renewNow(), opts.renewEveryMs ?? (opts.durationSeconds * 1000) / 3);
  timer.unref();
  const settle = () =>
    within(renewing, opts.timeoutMs ?? LEASE_TIMEOUT_MS, "renewing").catch(() => undefined);
  /** Renewals stopped and settled: whether the lease is still this run's to write. */
  const stop = async (gone: () => boolean) => {
    clearInterval(timer);
    await settle();
    return !gone();
  };
  /** The run's last write of the lease, renewed now with `spec`; never throws. */
  const last = async (spec: Partial<NonNullable<V1Lease["spec"]>>) => {
    try {
      current = await api.replaceNamespacedLease({
        name,
        namespace: opts.namespace,
        body: { ...current, spec: { ...current.spec, renewTime: new V1MicroTime(now()), ...spec } },
      });
    } catch {
      // the caller says what follows
    }
  };

  return {
    holder: opts.holder,
    lost,
    renew: async () => {
      await renewNow();
    },
    async keepFor(seconds) {
      // it runs out after its own duration if this write fails
      if (await stop(() => lost() !== undefined)) await last({ leaseDurationSeconds: seconds });
    },
    async release() {
      // released as client-go releases a lease: no holder, so the next run need not wait for it to expire (if
      // this write fails, it expires on its own)
      if (await stop(() => lostWhy !== undefined)) await last({ holderIdentity: undefined });
    },
  };
}

/**
 * For a program run under a run's lease (a child `pulumi` of `tenancy up`): refuses unless the lease is held, live,
 * by `holder`.
 */
export async function checkLeaseHeld(kc: KubeConfig, opts: AcquireOptions): Promise<void> {
  const api = leaseApi(kc, opts.timeoutMs);
  const now = opts.now ?? Date.now;
  const name = leaseName(opts.env);
  let lease: V1Lease | undefined;
  try {
    lease = await api.readNamespacedLease({ name, namespace: opts.namespace });
  } catch (e) {
    if (statusOf(e) !== 404)
      throw new ExternalError(
        `cannot read the environment lease (Lease ${opts.namespace}/${name}): ${kubeError(e)}`,
      );
  }
  const s = lease?.spec;
  if (s?.holderIdentity !== opts.holder || expiresAt(s, 0) <= now())
    throw new SafetyError(
      `this program runs under ${opts.holder}'s lease, but Lease ${opts.namespace}/${name} is ${s?.holderIdentity ? `held by ${s.holderIdentity}` : "not held"}; nothing was changed`,
    );
}
