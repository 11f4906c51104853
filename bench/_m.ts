import { planStacks } from "../plan/plan";
import { LAYERS } from "../stacks/layers";
import { registry } from "./generated";
async function main() {
  const model = registry(Number(process.argv[2] ?? 2000), () => {}, Number(process.argv[3] ?? 64));
  const outputs: Record<string, Record<string, unknown>> = {};
  let i = 0; const t0 = performance.now(); let last = t0;
  const names = LAYERS.map((l) => l.name);
  await planStacks(model, LAYERS, { names, report: names, tenants: model.tenants.map((t) => t.id), dryRun: false }, outputs,
    (s) => s.part.shard !== undefined, (stack) => {
      i++;
      if (i % 16 === 0) { global.gc?.(); const now = performance.now(); console.log(`${stack.stack.padEnd(22)} heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB, last 16 stacks ${(now - last).toFixed(0)} ms`); last = now; }
    });
  console.log("total", (performance.now() - t0).toFixed(0));
}
void main();
