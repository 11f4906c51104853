/**
 * Running stacks: independent layers in parallel up to the bound, each after its upstream layers; a failure
 * stops its dependants and says so; the progress a person follows (plain timestamped lines when not on a
 * terminal; the task list through listr2's own test renderer) and the summary table.
 */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { formatChanges, progress, summaryTable } from "../../cli/progress";
import {
  type Changes,
  type PreviewReport,
  type RunReporter,
  type StackEngine,
  type StackResult,
  runLayers,
} from "../../deploy/run";
import { ExternalError } from "../../components/core/problems";
import { registryOf } from "../plan/registries";

const NONE = { allowRemovals: false, allowHandover: false };
const model = registryOf({ alice: { email: "alice@example.com" } });
const CHANGES: Changes = { create: 2, update: 1, same: 3 };

/** An engine whose steps take `ms` each and fail where told; it records how many ran at once. */
class TimedEngine implements StackEngine {
  running = 0;
  most = 0;
  readonly order: string[] = [];
  constructor(
    private readonly ms: number,
    private readonly failing: string[] = [],
  ) {}
  async state() {
    return { outputs: {}, resources: 1, urns: [], pending: [] };
  }
  async clearPendingCreates() {}
  async createStack() {}
  async stateMove() {}
  private async step(what: string, stack: string): Promise<Changes> {
    this.running++;
    this.most = Math.max(this.most, this.running);
    this.order.push(`${what} ${stack}`);
    await new Promise((r) => setTimeout(r, this.ms));
    this.running--;
    if (this.failing.includes(`${what} ${stack}`))
      throw new ExternalError(`${what} of ${stack} failed: boom`);
    return CHANGES;
  }
  async preview(stack: string): Promise<PreviewReport> {
    return { changes: await this.step("preview", stack), protectedDeletes: [], errors: [] };
  }
  up(stack: string) {
    return this.step("up", stack);
  }
  destroy(stack: string) {
    return this.step("destroy", stack);
  }
}

/** A reporter that records every event. */
function recorder(): RunReporter & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    start: (stack, phase) => events.push(`start ${phase} ${stack}`),
    output: (stack, text) => events.push(`output ${stack} ${text}`),
    finish: (r) => events.push(`${r.status} ${r.phase} ${r.stack}${r.reason ? `: ${r.reason}` : ""}`),
  };
}

describe("parallel layers", () => {
  it("runs independent layers together, never more than the bound, each after its upstream", async () => {
    const engine = new TimedEngine(20);
    await runLayers("up", model, engine, { ...NONE, parallel: 2 });
    expect(engine.most).toBe(2);
    const ups = engine.order.filter((o) => o.startsWith("up "));
    // platform and dns start together; vault and apps wait for platform, ci for vault
    expect(ups.slice(0, 2)).toEqual(["up example-platform", "up example-dns"]);
    expect(ups.indexOf("up example-ci")).toBeGreaterThan(ups.indexOf("up example-vault"));
    const serial = new TimedEngine(5);
    await runLayers("up", model, serial, { ...NONE, parallel: 1 });
    expect(serial.most).toBe(1);
    const wide = new TimedEngine(20);
    await runLayers("preview", model, wide, { ...NONE, parallel: 8 });
    // previews read applied state only: all five at once
    expect(wide.most).toBe(5);
  });

  it("an upstream failure stops its dependants and says so; independent layers still run", async () => {
    const engine = new TimedEngine(5, ["up example-vault"]);
    const events = recorder();
    const error = await runLayers("up", model, engine, { ...NONE, reporter: events }).catch((e) => e);
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as Error).message).toBe(
      "up of example-vault failed: boom (applied: example-platform, example-dns, example-apps; not run, upstream failed: example-ci)",
    );
    expect(engine.order).not.toContain("up example-ci");
    expect(events.events).toContain("skipped up example-ci: not run: upstream example-vault failed");
    expect(events.events).toContain("failed up example-vault: up of example-vault failed: boom");
  });

  it("a failed preview stops the update before anything changes", async () => {
    const engine = new TimedEngine(5, ["preview example-dns"]);
    await expect(runLayers("up", model, engine, NONE)).rejects.toThrow(
      /^preview of example-dns failed: boom$/,
    );
    expect(engine.order.filter((o) => o.startsWith("up "))).toEqual([]);
  });

  it("destroy goes in reverse: a layer after every layer depending on it", async () => {
    const engine = new TimedEngine(5, ["destroy example-vault"]);
    const error = await runLayers("destroy", model, engine, { ...NONE, allowRemovals: true }).catch((e) => e);
    // platform waits for vault (and apps); vault failed, so platform stays
    expect((error as Error).message).toMatch(/not run, upstream failed: example-platform\)$/);
    expect(engine.order.indexOf("destroy example-vault")).toBeGreaterThan(
      engine.order.indexOf("destroy example-ci"),
    );
    expect(engine.order).not.toContain("destroy example-platform");
  });
});

/** A stream collecting what is written to it. */
function sink(): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return Object.assign(w, { text: () => chunks.join(""), isTTY: false }) as never;
}

const STACKS = ["example-platform", "example-dns", "example-vault", "example-ci", "example-apps"];

describe("progress", () => {
  it("not on a terminal: plain timestamped lines per stack, then the summary table", async () => {
    const out = sink();
    const reporter = progress({ stacks: STACKS, last: "up", tty: false, stream: out });
    const error = await runLayers("up", model, new TimedEngine(5, ["up example-vault"]), {
      ...NONE,
      reporter,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ExternalError);
    const results = await reporter.close();
    const text = out.text();
    // one line per event, each with its time; no cursor movement
    expect(text).not.toMatch(/\u001b\[\d*[ABGK]/);
    expect(text).toMatch(/^. \[\d\d:\d\d:\d\d\] example-platform: up \+2 ~1 -0 =3 in \d+\.\ds/m);
    expect(text).toMatch(/^. \[\d\d:\d\d:\d\d\] example-vault: update started$/m);
    expect(text).toMatch(/example-vault: up failed: up of example-vault failed: boom/);
    expect(text).toMatch(/example-ci: not run: upstream example-vault failed/);
    expect(results.map((r) => [r.stack, r.status])).toEqual([
      ["example-platform", "done"],
      ["example-dns", "done"],
      ["example-vault", "failed"],
      ["example-ci", "skipped"],
      ["example-apps", "done"],
    ]);
    const table = summaryTable(results).split("\n");
    expect(table[1]).toMatch(
      /│ STACK +│ STEP +│ RESULT +│ CREATED │ UPDATED │ DELETED │ UNCHANGED │ DURATION │/,
    );
    expect(table.find((l) => l.includes("example-platform"))).toMatch(
      /│ example-platform │ up +│ ok +│ 2 +│ 1 +│ 0 +│ 3 +│ \d+\.\ds +│/,
    );
    expect(table.find((l) => l.includes("example-ci"))).toMatch(
      /│ example-ci +│ up +│ skipped +│ +│ +│ +│ +│ +│/,
    );
  });

  it("the task list (listr2's test renderer): a task per stack, titles following each step, skips and failures", async () => {
    const out = sink();
    const chunks: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    // the test renderer writes through the process output it was given
    const reporter = progress({ stacks: STACKS, last: "up", tty: true, testRenderer: true, stream: out });
    process.stdout.write = ((c: string) => (chunks.push(String(c)), true)) as never;
    try {
      await runLayers("up", model, new TimedEngine(5, ["up example-vault"]), { ...NONE, reporter }).catch(
        () => {},
      );
      await reporter.close();
    } finally {
      process.stdout.write = write;
    }
    // one JSON event per line: [event, data, the task's title then]
    const events = (out.text() + chunks.join(""))
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event: string; data: unknown; task: { title: string } })
      .map((e) => `${e.event} ${JSON.stringify(e.data)} ${e.task.title}`);
    for (const s of STACKS) expect(events).toContain(`STATE "STARTED" ${s}: waiting`);
    expect(events).toContain('TITLE "example-platform: preview" example-platform: preview');
    expect(events).toContain(
      'TITLE "example-platform: preview +2 ~1 -0 =3" example-platform: preview +2 ~1 -0 =3',
    );
    expect(events).toContain('TITLE "example-platform: update" example-platform: update');
    expect(events.find((e) => e.startsWith('STATE "COMPLETED" example-platform'))).toMatch(
      /^STATE "COMPLETED" example-platform: up \+2 ~1 -0 =3 in \d+\.\ds$/,
    );
    expect(events).toContain(
      'MESSAGE {"error":"example-vault: up failed: up of example-vault failed: boom"} example-vault: update',
    );
    expect(
      events.some((e) =>
        e.startsWith('MESSAGE {"skip":"example-ci: not run: upstream example-vault failed"}'),
      ),
    ).toBe(true);
    // the task list shows no engine output prefixed: the last line sits under its own task
  });

  it("counts: created, updated (replacements too), deleted, unchanged", () => {
    expect(formatChanges({ create: 1, update: 2, replace: 1, delete: 3, same: 9 })).toBe("+1 ~3 -3 =9");
    expect(formatChanges(undefined)).toBe("nothing to do");
    const r: StackResult = { stack: "s", layer: "dns", phase: "destroy", status: "done", ms: 0 };
    expect(summaryTable([r])).toMatch(/│ s +│ destroy │ nothing to do │/);
  });
});
