/**
 * Test-only: a webhook receiver on 127.0.0.1 that records what arrives and answers as told,
 * on the same HTTP server as the conformance kit's receiver (conformance/receiver/hook-server.ts).
 */
import type http from 'node:http';
import { HookServer } from '../../conformance/receiver/hook-server';

export interface Received {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON; tests read it as the payload they expect. */
  json: any;
}

export type Responder = (req: http.IncomingMessage, res: http.ServerResponse, index: number) => void;

export class Receiver {
  readonly received: Received[] = [];
  private readonly server: HookServer;
  url = '';

  constructor(private responder: Responder = (_req, res) => res.end('ok')) {
    this.server = new HookServer((request, req, res) => {
      this.received.push({ url: request.url, headers: req.headers, body: request.body, json: request.json });
      this.responder(req, res, request.index);
    });
  }

  respondWith(responder: Responder): void {
    this.responder = responder;
  }

  async start(): Promise<this> {
    this.url = `${await this.server.listen('127.0.0.1', 0)}/hooks`;
    return this;
  }

  /** Resolves once `count` requests (to paths ending in `pathSuffix`, if given) have arrived; fails after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 5000, pathSuffix?: string): Promise<void> {
    const arrived = () =>
      (pathSuffix === undefined ? this.received : this.received.filter((r) => r.url.endsWith(pathSuffix))).length;
    if (!(await this.server.waitFor(() => arrived() >= count, timeoutMs))) {
      throw new Error(`expected ${count} webhook requests${pathSuffix ? ` to *${pathSuffix}` : ''}, got ${arrived()}`);
    }
  }

  stop(): Promise<void> {
    return this.server.close();
  }
}
