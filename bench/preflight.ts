/**
 * The preflight of a first `tenancy adopt` (every stack empty, so every planned object is looked up; what exists
 * is taken over whoever made it, as adopting an installation does) on n generated tenants,
 * against loopback servers speaking the Kubernetes, Vault and Cloudflare APIs through the real clients
 * (test/helpers/), where some of it exists already: a tenth of the namespaces made by hand (half of those with a
 * Pod Security level tenancy takes over), a twentieth of the
 * users logged in to Vault, a twentieth of the DNS records there. Prints the time, the requests per system and
 * the findings, batched (a listing per kind and cluster from LIST_FROM objects, a listing per DNS zone) beside
 * the same lookups made one request per object, in the same run.
 *   npm run bench:preflight -- --tenants 1000
 */
import { buildPlan } from "../plan/plan";
import { LAYERS } from "../stacks/layers";
import { type PreflightClients, preflight } from "../deploy/preflight";
import { type KubeServer, startKubeServer } from "../test/helpers/kube-server";
import { IdentityVault } from "../test/helpers/vault-identity-server";
import { type CloudflareServer, startCloudflareServer } from "../test/helpers/cloudflare-server";
import { arg, benchId, registry } from "./generated";

async function main(): Promise<void> {
  const n = arg("tenants", 1000);
  const concurrency = arg("concurrency", 8);
  const base = registry(n);
  const vault = await new IdentityVault(base.environment.oidc.vaultMountAccessor).listen();
  const model = {
    ...base,
    environment: { ...base.environment, vault: { ...base.environment.vault, address: vault.address } },
  };
  const env = model.environment;
  const kube: Record<string, KubeServer> = {};
  for (const c of env.clusters) kube[c.name] = await startKubeServer();
  const home = env.clusters.find((c) => c.default)!.name;
  const cfToken = "bench-cloudflare-token";
  const zones = Object.fromEntries(
    Object.entries(env.dns.zones).map(([name, id]) => [id, { name, records: [] }]),
  );
  const cloudflare: CloudflareServer = await startCloudflareServer({
    token: cfToken,
    zones,
    lifetimeMs: 3_600_000,
  });

  const plan = await buildPlan(model, LAYERS);
  const records = plan.stacks
    .flatMap((s) => s.resources)
    .filter((r) => r.type === "cloudflare:index/dnsRecord:DnsRecord");
  // what exists already: namespaces made by hand, logins, records
  // every other one with a Pod Security level of its own: a field tenancy sets, so taken over
  for (let i = 0; i < n; i += 10) {
    const labels = {
      team: benchId(i),
      ...(i % 20 === 0 ? { "pod-security.kubernetes.io/enforce": "privileged" } : {}),
    };
    kube[home]!.seed(
      { apiVersion: "v1", kind: "Namespace", metadata: { name: benchId(i), labels } },
      "kubectl",
    );
  }
  for (let i = 0; i < n; i += 20)
    vault.logins.set(`${benchId(i)}@example.com`, { entity: `ent-${i}`, alias: `alias-${i}` });
  for (const [i, r] of records.entries())
    if (i % 20 === 0)
      await fetch(new URL(`zones/${String(r.inputs.zoneId)}/dns_records`, cloudflare.api), {
        method: "POST",
        headers: { authorization: `Bearer ${cfToken}`, "content-type": "application/json" },
        body: JSON.stringify({ type: r.inputs.type, name: r.inputs.name, content: r.inputs.content, ttl: 1 }),
      });

  const clients = (listFrom?: number): PreflightClients => ({
    kubernetes: (cluster) => kube[cluster]!.kubeConfig(),
    vault: { token: vault.token },
    cloudflare: { token: cfToken, api: cloudflare.api },
    concurrency,
    adopt: true,
    ...(listFrom !== undefined ? { listFrom } : {}),
  });
  const requests = () => ({
    kubernetes: Object.values(kube).reduce((a, s) => a + s.requests.length, 0),
    vault: vault.requests,
    cloudflare: cloudflare.requests.length,
  });

  console.log(
    `preflight of a first adopt: ${n} tenants, ${plan.stacks.flatMap((s) => s.resources).length} planned resources`,
  );
  console.log(
    "lookups          wall ms  kubernetes  vault  cloudflare  found  import  in place  take over  refused",
  );
  const rows: Record<string, number> = {};
  for (const [label, listFrom] of [
    ["batched", undefined],
    ["one per object", Number.MAX_SAFE_INTEGER],
  ] as const) {
    const before = requests();
    const t0 = performance.now();
    const found = await preflight(model, plan, () => [], clients(listFrom));
    const ms = performance.now() - t0;
    rows[label] = ms;
    const after = requests();
    const count = (how: string) => found.findings.filter((f) => f.how === how).length;
    const unknown = count("unknown");
    if (unknown > 0) throw new Error(`${unknown} lookups failed: ${found.unresolved[0]?.detail}`);
    console.log(
      `${label.padEnd(15)} ${ms.toFixed(0).padStart(8)}  ${String(after.kubernetes - before.kubernetes).padStart(10)}  ${String(after.vault - before.vault).padStart(5)}  ${String(after.cloudflare - before.cloudflare).padStart(10)}  ${String(found.findings.length).padStart(5)}  ${String(count("import")).padStart(6)}  ${String(count("in place")).padStart(8)}  ${String(count("take over")).padStart(9)}  ${String(count("refuse")).padStart(7)}`,
    );
  }
  console.log(
    `batching: ${(rows["one per object"]! / rows.batched!).toFixed(2)}x faster than a request per object; at most ${concurrency} lookups at once per system`,
  );
  console.log(`peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
  await Promise.all([...Object.values(kube).map((s) => s.close()), vault.close(), cloudflare.close()]);
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
