/**
 * The environment lease (deploy/lease.ts), through the real Kubernetes client against a loopback API server: one
 * run at a time, the second refused with the holder and its age; a released lease taken at once; an expired one
 * taken over (the old holder finds it lost); two runs racing for it, one winner. `tenancy up` holds it from before
 * the guard to its last update and stops starting stacks once it is lost; the direct path takes it too.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type HeldLease, acquireLease, leaseName } from "../../deploy/lease";
import { runLayers } from "../../deploy/run";
import { writeRunFile } from "../../deploy/run-file";
import { SafetyError } from "../../components/core/problems";
import { runProgram } from "../../plan/harness";
import type { RegistryModel } from "../../registry/model";
import { program, stackLease } from "../../stacks/direct";
import { EXAMPLE } from "../helpers/cli";
import { FakeEngine } from "../helpers/engine";
import { type KubeServer, startKubeServer } from "../helpers/kube-server";
import { exampleWithSharedCi } from "../plan/registries";

const NONE = { allowRemovals: false, allowHandover: false };
const SETTINGS = { env: "example", namespace: "kube-system", durationSeconds: 60 };

let server: KubeServer;
beforeEach(async () => {
  server = await startKubeServer();
});
afterEach(() => server.close());

const take = (holder: string, now?: () => number) =>
  acquireLease(server.kubeConfig(), { ...SETTINGS, holder, ...(now ? { now } : {}) });
const stored = () => server.get("coordination.k8s.io/v1", "Lease", leaseName("example"), "kube-system");

describe("the environment lease", () => {
  it("is taken, refused to a second run with the holder and its age, and taken at once once released", async () => {
    const first = await take("admin@laptop pid 1 (tenancy up)");
    const spec = stored()!.spec as Record<string, unknown>;
    expect(spec.holderIdentity).toBe("admin@laptop pid 1 (tenancy up)");
    expect(spec.leaseDurationSeconds).toBe(60);
    // MicroTime, as the API server parses it (RFC 3339 with microseconds)
    expect(spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

    const second = await take("ci@runner pid 2 (tenancy up)").catch((e: unknown) => e);
    expect(second).toBeInstanceOf(SafetyError);
    expect((second as Error).message).toMatch(
      /^environment example is being changed by admin@laptop pid 1 \(tenancy up\) \(Lease kube-system\/tenancy-example, taken \d+s ago, renewed \d+s ago\); nothing was changed\. .*expires in \d+s/,
    );

    await first.release();
    const third = await take("ci@runner pid 2 (tenancy up)");
    expect((stored()!.spec as Record<string, unknown>).holderIdentity).toBe("ci@runner pid 2 (tenancy up)");
    await third.release();
  });

  it("is taken over once expired, and its old holder finds it lost at its next renewal", async () => {
    let clock = Date.parse("2026-12-07T10:00:00Z");
    const now = () => clock;
    // the crashed run renews no more (its process is gone): here, no timer tick within the test
    const dead = await acquireLease(server.kubeConfig(), {
      ...SETTINGS,
      holder: "crashed run",
      now,
      renewEveryMs: 3_600_000,
    });
    clock += 61_000;
    const next = await take("next run", now);
    const spec = stored()!.spec as Record<string, unknown>;
    expect(spec.holderIdentity).toBe("next run");
    expect(spec.leaseTransitions).toBe(1);
    // the old holder, were it still alive, learns it lost the lease at its next renewal
    await dead.renew();
    expect(dead.lost()).toBe("the environment lease was taken over by next run");
    await dead.release();
    expect((stored()!.spec as Record<string, unknown>).holderIdentity).toBe("next run");
    await next.release();
  });

  it("has one winner when two runs race for it", async () => {
    const results = await Promise.allSettled([take("run A"), take("run B"), take("run C")]);
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    for (const r of results.filter((x) => x.status === "rejected"))
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(SafetyError);
    await (won[0] as PromiseFulfilledResult<HeldLease>).value.release();
  });

  it("counts itself lost once it could not renew for two thirds of its duration, before anyone may take it", async () => {
    let clock = Date.parse("2026-12-07T10:00:00Z");
    const held = await acquireLease(server.kubeConfig(), {
      ...SETTINGS,
      holder: "cut off",
      now: () => clock,
      renewEveryMs: 3_600_000,
      timeoutMs: 200,
    });
    server.fail({ method: "PUT", path: /\/leases\//, status: 503 });
    clock += 30_000;
    await held.renew();
    expect(held.lost()).toBeUndefined();
    clock += 11_000;
    await held.renew();
    expect(held.lost()).toMatch(
      /^the environment lease could not be renewed for 41s: another run may take it soon$/,
    );
    // and its release neither throws nor waits long
    const t0 = Date.now();
    await held.release();
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it("renews while held", async () => {
    const held = await acquireLease(server.kubeConfig(), {
      ...SETTINGS,
      holder: "long run",
      renewEveryMs: 20,
    });
    const first = (stored()!.spec as Record<string, unknown>).renewTime;
    await new Promise((r) => setTimeout(r, 120));
    expect((stored()!.spec as Record<string, unknown>).renewTime).not.toBe(first);
    expect(held.lost()).toBeUndefined();
    await held.release();
  });
});

describe("runs under the lease", () => {
  let model: RegistryModel;
  beforeAll(() => {
    model = exampleWithSharedCi();
  });

  it("a second up is refused before it reads anything, and the first releases the lease when it ends", async () => {
    const other = await take("ci@runner pid 7 (tenancy up)");
    const engine = new FakeEngine();
    const lease = () => take("admin@laptop pid 8 (tenancy up)");
    const refused = await runLayers("up", model, engine, { ...NONE, lease }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SafetyError);
    expect((refused as Error).message).toMatch(/being changed by ci@runner pid 7/);
    expect(engine.calls).toEqual([]);
    await other.release();

    await runLayers("up", model, engine, { ...NONE, lease, layers: ["platform"] });
    expect((stored()!.spec as Record<string, unknown>).holderIdentity).toBeUndefined();
    // released on a failure too
    const failing = Object.assign(new FakeEngine(), {
      up: () => Promise.reject(new Error("boom")),
    }) as FakeEngine;
    await expect(runLayers("up", model, failing, { ...NONE, lease, layers: ["platform"] })).rejects.toThrow();
    expect((stored()!.spec as Record<string, unknown>).holderIdentity).toBeUndefined();
  });

  it("a run whose lease is lost starts no further stack", async () => {
    const engine = new FakeEngine();
    let lostWhy: string | undefined;
    const lease = async (): Promise<HeldLease> => ({
      holder: "this run",
      lost: () => lostWhy,
      renew: async () => {},
      keepFor: async () => {},
      release: async () => {},
    });
    const up = engine.up.bind(engine);
    engine.up = async (stack, job, opts) => {
      const changes = await up(stack, job, opts);
      // taken over while the platform layer was applied
      if (stack === "example-platform") lostWhy = "the environment lease was taken over by another run";
      return changes;
    };
    const error = await runLayers("up", model, engine, { ...NONE, lease, parallel: 1 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SafetyError);
    expect((error as Error).message).toMatch(
      /^the environment lease was taken over by another run: not run: /,
    );
    expect(engine.calls.filter((c) => c.startsWith("up "))).toEqual(["up example-platform"]);
  });
});

describe("the direct path's lease", () => {
  let dir: string;
  let kubeconfigBefore: string | undefined;
  let startDir: string;
  beforeEach(() => {
    // the example environment's default cluster is context example-admin: here, the loopback server
    dir = mkdtempSync(join(tmpdir(), "tenancy-lease-"));
    writeFileSync(join(dir, "config"), server.kubeConfig("example-admin").exportConfig());
    kubeconfigBefore = process.env.KUBECONFIG;
    process.env.KUBECONFIG = join(dir, "config");
    startDir = process.cwd();
    process.chdir(EXAMPLE);
  });
  afterAll(() => {
    if (kubeconfigBefore === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = kubeconfigBefore;
  });
  afterEach(() => process.chdir(startDir));
  const SELF = "organization/tenancy/example-dns";

  it("pulumi up -s is refused while a tenancy up holds the lease; takes it when free; a preview needs none", async () => {
    const other = await take("ci@runner pid 9 (tenancy up)");
    // the stack, and the platform stack its guard reads (never applied: nothing to guard)
    const APPLIED = { [SELF]: {}, "organization/tenancy/example-platform": {} };
    const update = () => runProgram({ stack: "example-dns", stackOutputs: APPLIED }, () => program());
    await expect(update()).rejects.toThrow(/being changed by ci@runner pid 9/);
    // a preview changes nothing and takes no lease
    await runProgram({ stack: "example-dns", stackOutputs: APPLIED, dryRun: true }, () => program());
    await other.release();
    let held: HeldLease | undefined;
    await runProgram({ stack: "example-dns", stackOutputs: APPLIED }, () =>
      program({
        lease: async (m, s, under) => (held = await stackLease(m, s, under)),
      }),
    );
    expect((stored()!.spec as Record<string, unknown>).holderIdentity).toMatch(
      /\(pulumi up -s example-dns\)$/,
    );
    await held!.release();
  });

  it("a program run by tenancy up checks that run still holds the lease", async () => {
    const model = exampleWithSharedCi();
    const file = writeRunFile({ model, holder: "admin@laptop pid 3 (tenancy up)" });
    process.env.TENANCY_RUN = file.path;
    try {
      const update = () =>
        runProgram({ stack: "example-dns", stackOutputs: { [SELF]: {} } }, () => program());
      await expect(update()).rejects.toThrow(
        /runs under admin@laptop pid 3 \(tenancy up\)'s lease, but Lease kube-system\/tenancy-example is not held/,
      );
      const held = await take("admin@laptop pid 3 (tenancy up)");
      await update();
      await held.release();
    } finally {
      delete process.env.TENANCY_RUN;
      file.remove();
    }
  });
});
