/**
 * The kit's own webhook receiver: an HTTP server on which each check opens an inbox (a
 * path of its own), chooses what to answer, and waits for deliveries without polling.
 * Signatures are verified on arrival with both schemes of the contract.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Schemas } from '../spec/contract';

const MAX_BODY_BYTES = 5 * 1024 * 1024;

export interface SignatureVerdict {
  ok: boolean;
  error?: string;
}

/**
 * A delivery's JSON read as the contract's event as far as it is one: any field may be
 * missing or of another type, so each reads as `unknown` until a check compares it.
 */
export type LoosePayload = { [K in keyof Schemas['WebhookEvent']]?: unknown } & { job?: { [K in keyof Schemas['Job']]?: unknown } };

export interface ReceivedDelivery {
  /** Position in the inbox, from 0. */
  seq: number;
  receivedAt: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  json?: LoosePayload;
  /** What the receiver answered. */
  answeredStatus: number;
  standardSignature: SignatureVerdict;
  instaLeapSignature: SignatureVerdict;
}

/** A fresh secret in the Standard Webhooks form the contract accepts. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** Production's scheme: lowercase hex HMAC-SHA256 keyed with the secret string over `{id}&{created_at}&{type}`. */
export function instaLeapSignature(secret: string, payload: { id: unknown; created_at: unknown; type: unknown }): string {
  return createHmac('sha256', secret).update(`${String(payload.id)}&${String(payload.created_at)}&${String(payload.type)}`).digest('hex');
}

function headerText(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

export function verifyInstaLeapSignature(secret: string, headers: Record<string, string>, json: unknown): SignatureVerdict {
  const given = headers['instaleap-signature'];
  if (given === undefined) return { ok: false, error: 'InstaLeap-Signature header missing' };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return { ok: false, error: 'payload is not a JSON object' };
  const expected = instaLeapSignature(secret, json as { id: unknown; created_at: unknown; type: unknown });
  if (!/^[0-9a-f]{64}$/.test(given)) return { ok: false, error: `InstaLeap-Signature is not 64 lowercase hex digits: ${JSON.stringify(given.slice(0, 100))}` };
  const ok = timingSafeEqual(Buffer.from(given), Buffer.from(expected));
  return ok ? { ok } : { ok, error: `InstaLeap-Signature ${given} does not match ${expected}` };
}

/** Standard Webhooks, verified by the reference library (it also refuses stale timestamps). */
export function verifyStandardSignature(secret: string, headers: Record<string, string>, body: string): SignatureVerdict {
  for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    if (headers[name] === undefined) return { ok: false, error: `${name} header missing` };
  }
  try {
    new Webhook(secret).verify(body, {
      'webhook-id': headers['webhook-id'],
      'webhook-timestamp': headers['webhook-timestamp'],
      'webhook-signature': headers['webhook-signature'],
    });
    return { ok: true };
  } catch (error) {
    return { ok: false, error: `webhook-signature: ${error instanceof Error ? error.message : String(error)}` };
  }
}

type Waiter = { predicate: (deliveries: ReceivedDelivery[]) => boolean; resolve: () => void };

export class Inbox {
  readonly deliveries: ReceivedDelivery[] = [];
  private readonly answers: number[] = [];
  private waiters: Waiter[] = [];

  constructor(readonly path: string, readonly url: string, readonly secret: string) {}

  /** The statuses to answer the next deliveries with, in order; 200 once they are used up. */
  answerNext(...statuses: number[]): void {
    this.answers.push(...statuses);
  }

  nextAnswer(): number {
    return this.answers.shift() ?? 200;
  }

  record(delivery: ReceivedDelivery): void {
    this.deliveries.push(delivery);
    const ready = this.waiters.filter((w) => w.predicate(this.deliveries));
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const waiter of ready) waiter.resolve();
  }

  /** Resolves true once the deliveries satisfy `predicate`, false after `timeoutMs`. */
  waitFor(predicate: (deliveries: ReceivedDelivery[]) => boolean, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (predicate(this.deliveries)) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const finish = (value: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(value);
      };
      const onAbort = () => finish(false);
      const waiter: Waiter = { predicate, resolve: () => finish(true) };
      const timer = setTimeout(() => finish(false), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }
}

export interface ReceiverOptions {
  host: string;
  port: number;
  /** The address the implementation must use to reach the receiver, when not host:port. */
  publicUrl?: string;
}

export class WebhookReceiver {
  private server: Server | undefined;
  private readonly inboxes = new Map<string, Inbox>();
  private base = '';
  /** Requests to no inbox (stray or hostile); kept for the reports. */
  readonly strays: Array<{ method: string; url: string }> = [];

  async start(options: ReceiverOptions): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => { server.off('error', reject); resolve(); });
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.base = (options.publicUrl ?? `http://${host}:${address.port}`).replace(/\/+$/, '');
  }

  get url(): string {
    return this.base;
  }

  /** A new inbox at a path of its own, so that concurrent checks never see each other's deliveries. */
  openInbox(secret: string = newWebhookSecret()): Inbox {
    const path = `/hooks/${randomBytes(9).toString('base64url')}`;
    const inbox = new Inbox(path, `${this.base}${path}`, secret);
    this.inboxes.set(path, inbox);
    return inbox;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0];
    const inbox = this.inboxes.get(path);
    if (!inbox || req.method !== 'POST') {
      if (this.strays.length < 100) this.strays.push({ method: String(req.method), url: String(req.url).slice(0, 200) });
      res.writeHead(404).end();
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        if (!refused) { refused = true; res.writeHead(413, { connection: 'close' }).end(); }
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => { if (!res.headersSent) res.writeHead(400).end(); });
    req.on('end', () => {
      if (refused) return;
      const body = Buffer.concat(chunks).toString('utf8');
      const headers: Record<string, string> = {};
      for (const name of Object.keys(req.headers)) {
        const value = headerText(req.headers, name);
        if (value !== undefined) headers[name.toLowerCase()] = value;
      }
      let json: LoosePayload | undefined;
      // Only ever read through optional fields of unknown type, whatever the JSON is.
      try { json = JSON.parse(body) as LoosePayload; } catch { json = undefined; }
      const status = inbox.nextAnswer();
      inbox.record({
        seq: inbox.deliveries.length,
        receivedAt: new Date().toISOString(),
        method: String(req.method),
        headers,
        body,
        ...(json === undefined ? {} : { json }),
        answeredStatus: status,
        standardSignature: verifyStandardSignature(inbox.secret, headers, body),
        instaLeapSignature: verifyInstaLeapSignature(inbox.secret, headers, json),
      });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ received: status < 300 }));
    });
  }
}
