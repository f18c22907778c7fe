/**
 * The HTTP server under every webhook receiver of the project, the kit's and the tests':
 * it records each request (body read up to a cap, JSON parsed when it is JSON), hands it
 * to a responder that decides the answer, and wakes whoever waits for requests to arrive.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const MAX_BODY_BYTES = 5 * 1024 * 1024;

export interface HookRequest {
  /** Position among the requests the server recorded, from 0. */
  index: number;
  receivedAt: string;
  method: string;
  /** Path and query, as the request line gave them. */
  url: string;
  /** Header names in lower case; repeated headers joined with commas. */
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown;
}

/** Decides the answer; it may also never answer, or answer late. */
export type HookResponder = (request: HookRequest, req: IncomingMessage, res: ServerResponse) => void;

type Waiter = { ready: () => boolean; resolve: () => void };

function headerMap(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

export class HookServer {
  /** Every request, in order of arrival, unless the server was told not to keep them. */
  readonly requests: HookRequest[] = [];
  private seen = 0;
  private server: Server | undefined;
  private waiters: Waiter[] = [];

  constructor(
    private readonly respond: HookResponder,
    private readonly options: { keep: boolean } = { keep: true },
  ) {}

  /** Listens on host:port (0 picks a free one); returns the address as an http:// URL. */
  async listen(host: string, port: number): Promise<string> {
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }

  /** Resolves true once `ready()` holds, false after `timeoutMs` or on abort. */
  waitFor(ready: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const finish = (value: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(value);
      };
      const onAbort = () => finish(false);
      const waiter: Waiter = { ready, resolve: () => finish(true) };
      const timer = setTimeout(() => finish(false), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        if (!refused) {
          refused = true;
          res.writeHead(413, { connection: 'close' }).end();
        }
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      if (!res.headersSent) res.writeHead(400).end();
    });
    req.on('end', () => {
      if (refused) return;
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const request: HookRequest = {
        index: this.seen++,
        receivedAt: new Date().toISOString(),
        method: String(req.method),
        url: req.url ?? '',
        headers: headerMap(req),
        body,
        json,
      };
      if (this.options.keep) this.requests.push(request);
      this.respond(request, req, res);
      const ready = this.waiters.filter((w) => w.ready());
      for (const waiter of ready) waiter.resolve();
    });
  }
}
