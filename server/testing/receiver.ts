/** Test-only: a webhook receiver on 127.0.0.1 that records what arrives and answers as told. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: any;
}

export type Responder = (req: http.IncomingMessage, res: http.ServerResponse, index: number) => void;

export class Receiver {
  readonly received: Received[] = [];
  private waiters: Array<{ check: () => boolean; resolve: () => void }> = [];
  private server!: http.Server;
  url = '';

  constructor(private responder: Responder = (_req, res) => res.end('ok')) {}

  respondWith(responder: Responder): void {
    this.responder = responder;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try { json = JSON.parse(body); } catch { json = undefined; }
        const index = this.received.length;
        this.received.push({ url: req.url ?? '', headers: req.headers, body, json });
        this.responder(req, res, index);
        this.waiters = this.waiters.filter((w) => (w.check() ? (w.resolve(), false) : true));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
    return this;
  }

  /** Resolves once `count` requests (to paths ending in `pathSuffix`, if given) have arrived; fails after `timeoutMs`. */
  waitFor(count: number, timeoutMs = 5000, pathSuffix?: string): Promise<void> {
    const arrived = () => (pathSuffix === undefined ? this.received : this.received.filter((r) => r.url.endsWith(pathSuffix))).length;
    if (arrived() >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`expected ${count} webhook requests${pathSuffix ? ` to *${pathSuffix}` : ''}, got ${arrived()}`)), timeoutMs);
      const waiter = { check: () => arrived() >= count, resolve: () => { clearTimeout(timer); resolve(); } };
      this.waiters.push(waiter);
    });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
