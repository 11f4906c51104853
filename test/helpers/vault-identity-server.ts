import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { listenOnLoopback } from "./loopback";

/**
 * A local Vault speaking the identity API that the lookup uses (`GET identity/entity/name/:name`, 404 when there
 * is none; `POST identity/lookup/entity` by alias name and mount accessor, 204 when there is none), answering
 * after a short wait and counting the requests in flight. test/helpers/vault-server.ts speaks KV v2 only.
 */
export class IdentityVault {
  readonly token = "s.lookup-token-never-printed";
  requests = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** entity name -> id */
  readonly entities = new Map<string, string>();
  /** alias name -> the entity Vault made at that user's first login */
  readonly logins = new Map<string, { entity: string; alias: string }>();
  /** entity name or alias name -> the status answered instead */
  readonly broken = new Map<string, number>();
  address = "";
  private readonly server: Server = createServer((req, res) => this.handle(req, res));

  constructor(private readonly accessor: string) {}

  /** Whether an entity alias of this name exists on the mount (a login made it). */
  hasAlias(name: string, accessor: string): boolean {
    return accessor === this.accessor && this.logins.has(name);
  }

  async listen(): Promise<this> {
    this.address = await listenOnLoopback(this.server);
    return this;
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on("close", () => this.inFlight--);
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString("utf8")));
    req.on("end", () => setTimeout(() => this.answer(req, res, body), 2));
  }

  private answer(req: IncomingMessage, res: ServerResponse, body: string): void {
    const send = (status: number, data?: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(status === 204 ? "" : JSON.stringify(data === undefined ? { errors: [] } : { data }));
    };
    if (req.headers["x-vault-token"] !== this.token) return send(403);
    const byName = /^\/v1\/identity\/entity\/name\/([^/]+)$/.exec(req.url ?? "");
    if (req.method === "GET" && byName) {
      const name = decodeURIComponent(byName[1]!);
      const status = this.broken.get(name);
      if (status) return send(status);
      const id = this.entities.get(name);
      return id ? send(200, { id, name, aliases: [] }) : send(404);
    }
    if (req.method === "POST" && req.url === "/v1/identity/lookup/entity") {
      const q = JSON.parse(body) as { alias_name: string; alias_mount_accessor: string };
      const status = this.broken.get(q.alias_name);
      if (status) return send(status);
      const login = this.logins.get(q.alias_name);
      if (!login || q.alias_mount_accessor !== this.accessor) return send(204);
      return send(200, {
        id: login.entity,
        name: `entity_${login.entity}`,
        aliases: [{ id: login.alias, name: q.alias_name, mount_accessor: this.accessor }],
      });
    }
    send(404);
  }
}
