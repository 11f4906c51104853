/**
 * A receiver of tenancy's tenant events, to start from: checks the signature (HMAC-SHA256 of the raw body with
 * the shared secret, `X-Tenancy-Signature: sha256=<hex>`), refuses what does not match (401), and handles each
 * event once by its `Idempotency-Key` (a resend of a delivered event is answered 200 and not handled again).
 *
 *   WEBHOOK_SECRET=... npx tsx examples/webhook-receiver.ts 8080
 */
import { type Server, createServer } from "node:http";
import { type TenantEvent, verify } from "../components/events/policy";

/** Largest body accepted: an event is a few hundred bytes. */
const MAX_BODY = 64 * 1024;

export function receiver(secret: string, handle: (event: TenantEvent) => void): Server {
  const seen = new Set<string>();
  return createServer((req, res) => {
    if (req.method !== "POST") return void res.writeHead(405).end();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const signature = req.headers["x-tenancy-signature"];
      if (!verify(body, typeof signature === "string" ? signature : undefined, secret))
        return void res.writeHead(401).end("bad signature");
      const key = req.headers["idempotency-key"];
      if (typeof key !== "string" || key === "") return void res.writeHead(400).end("no idempotency key");
      if (!seen.has(key)) {
        seen.add(key);
        handle(JSON.parse(body) as TenantEvent);
      }
      res.writeHead(200).end("ok");
    });
  });
}

if (require.main === module) {
  const secret = process.env.WEBHOOK_SECRET;
  if (!secret) throw new Error("set WEBHOOK_SECRET");
  const port = Number(process.argv[2] ?? 8080);
  receiver(secret, (e) => console.log(`${e.type} ${e.tenant} (${e.namespaces.join(", ")})`)).listen(
    port,
    "127.0.0.1",
  );
}
