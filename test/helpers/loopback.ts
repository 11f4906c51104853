/** What the loopback servers standing in for real APIs share: listening on 127.0.0.1, and their timers. */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Listens on a free port of 127.0.0.1, never keeping the process alive; the server's URL. */
export async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  server.unref();
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The timers a loopback server sets (answers held back, its own lifetime), all cleared when it closes. */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();

  /** `fn` after `ms`, never keeping the process alive. */
  later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.pending.delete(t);
      fn();
    }, ms);
    t.unref();
    this.pending.add(t);
  }

  clear(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}
