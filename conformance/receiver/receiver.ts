/**
 * The kit's own webhook receiver: an HTTP server on which each check opens an inbox (a
 * path of its own), chooses what to answer, and waits for deliveries without polling.
 * Signatures are verified on arrival with both schemes of the contract.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';
import type { Schemas } from '../../spec/contract';
import { HookServer, type HookRequest } from './hook-server';

export interface SignatureVerdict {
  ok: boolean;
  error?: string;
}

/**
 * A delivery's JSON read as the contract's event as far as it is one: any field may be
 * missing or of another type, so each reads as `unknown` until a check compares it.
 */
export type LoosePayload = { [K in keyof Schemas['WebhookEvent']]?: unknown } & {
  job?: { [K in keyof Schemas['Job']]?: unknown };
};

export interface ReceivedDelivery {
  /** Position in the inbox, from 0. */
  seq: number;
  receivedAt: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  json?: LoosePayload;
  /** What the receiver answered (0: it closed the connection without an answer). */
  answeredStatus: number;
  standardSignature: SignatureVerdict;
  instaLeapSignature: SignatureVerdict;
}

/** A fresh secret in the Standard Webhooks form the contract accepts. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** Production's scheme: lowercase hex HMAC-SHA256 keyed with the secret string over `{id}&{created_at}&{type}`. */
export function instaLeapSignature(
  secret: string,
  payload: { id: unknown; created_at: unknown; type: unknown },
): string {
  return createHmac('sha256', secret)
    .update(`${String(payload.id)}&${String(payload.created_at)}&${String(payload.type)}`)
    .digest('hex');
}

export function verifyInstaLeapSignature(
  secret: string,
  headers: Record<string, string>,
  json: unknown,
): SignatureVerdict {
  const given = headers['instaleap-signature'];
  if (given === undefined) return { ok: false, error: 'InstaLeap-Signature header missing' };
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    return { ok: false, error: 'payload is not a JSON object' };
  const expected = instaLeapSignature(secret, json as { id: unknown; created_at: unknown; type: unknown });
  if (!/^[0-9a-f]{64}$/.test(given))
    return {
      ok: false,
      error: `InstaLeap-Signature is not 64 lowercase hex digits: ${JSON.stringify(given.slice(0, 100))}`,
    };
  const ok = timingSafeEqual(Buffer.from(given), Buffer.from(expected));
  return ok ? { ok } : { ok, error: `InstaLeap-Signature ${given} does not match ${expected}` };
}

/** Standard Webhooks, verified by the reference library (it also refuses stale timestamps). */
export function verifyStandardSignature(
  secret: string,
  headers: Record<string, string>,
  body: string,
): SignatureVerdict {
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

/** A scripted answer: a status (with a Location, for a redirect), or the connection closed without one. */
export type InboxAnswer = { status: number; location?: string } | 'no answer';

export class Inbox {
  readonly deliveries: ReceivedDelivery[] = [];
  private readonly answers: number[] = [];
  private script: ((eventId: string, nth: number) => InboxAnswer) | undefined;
  private readonly requestsPerEvent = new Map<string, number>();
  /** The body of every answer, when not the default `{"received": …}`. */
  answerBody?: string;

  constructor(
    readonly path: string,
    readonly url: string,
    readonly secret: string,
    private readonly server: HookServer,
  ) {}

  /** The statuses to answer the next deliveries with, in order; 200 once they are used up. */
  answerNext(...statuses: number[]): void {
    this.answers.push(...statuses);
  }

  nextAnswer(): number {
    return this.answers.shift() ?? 200;
  }

  /** Answers each delivery from `script`, given its event id and how many requests for that event came (from 1). */
  answerFrom(script: (eventId: string, nth: number) => InboxAnswer): void {
    this.script = script;
  }

  /** The scripted answer to a delivery of this event, counting it; undefined when the inbox has no script. */
  scripted(eventId: string): InboxAnswer | undefined {
    if (!this.script) return undefined;
    const nth = (this.requestsPerEvent.get(eventId) ?? 0) + 1;
    this.requestsPerEvent.set(eventId, nth);
    return this.script(eventId, nth);
  }

  /** Requests received per event id (payload `id`). */
  requestsFor(eventId: string): number {
    return this.deliveries.filter((d) => d.json?.id === eventId).length;
  }

  record(delivery: ReceivedDelivery): void {
    this.deliveries.push(delivery);
  }

  /** Resolves true once the deliveries satisfy `predicate`, false after `timeoutMs`. */
  waitFor(
    predicate: (deliveries: ReceivedDelivery[]) => boolean,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<boolean> {
    return this.server.waitFor(() => predicate(this.deliveries), timeoutMs, signal);
  }
}

export interface ReceiverOptions {
  host: string;
  port: number;
  /** The address the implementation must use to reach the receiver, when not host:port. */
  publicUrl?: string;
}

const MAX_STRAYS = 100;

export class WebhookReceiver {
  // Inboxes keep their own deliveries; the server keeps none, so strays cost no memory.
  private readonly server = new HookServer((request, _req, res) => this.answer(request, res), { keep: false });
  private readonly inboxes = new Map<string, Inbox>();
  private base = '';
  /** Requests to no inbox (stray or hostile); kept for the reports. */
  readonly strays: Array<{ method: string; url: string }> = [];

  async start(options: ReceiverOptions): Promise<void> {
    const listening = await this.server.listen(options.host, options.port);
    this.base = (options.publicUrl ?? listening).replace(/\/+$/, '');
  }

  get url(): string {
    return this.base;
  }

  /** A new inbox at a path of its own, so that concurrent checks never see each other's deliveries. */
  openInbox(secret: string = newWebhookSecret()): Inbox {
    const path = `/hooks/${randomBytes(9).toString('base64url')}`;
    const inbox = new Inbox(path, `${this.base}${path}`, secret, this.server);
    this.inboxes.set(path, inbox);
    return inbox;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private answer(request: HookRequest, res: ServerResponse): void {
    const inbox = this.inboxes.get(request.url.split('?')[0]);
    if (!inbox || request.method !== 'POST') {
      if (this.strays.length < MAX_STRAYS) this.strays.push({ method: request.method, url: request.url.slice(0, 200) });
      res.writeHead(404).end();
      return;
    }
    // Only ever read through optional fields of unknown type, whatever the JSON is.
    const json = request.json as LoosePayload | undefined;
    const scripted = inbox.scripted(typeof json?.id === 'string' ? json.id : '');
    const status = scripted === undefined ? inbox.nextAnswer() : scripted === 'no answer' ? 0 : scripted.status;
    inbox.record({
      seq: inbox.deliveries.length,
      receivedAt: request.receivedAt,
      method: request.method,
      headers: request.headers,
      body: request.body,
      ...(json === undefined ? {} : { json }),
      answeredStatus: status,
      standardSignature: verifyStandardSignature(inbox.secret, request.headers, request.body),
      instaLeapSignature: verifyInstaLeapSignature(inbox.secret, request.headers, json),
    });
    if (scripted === 'no answer') {
      res.socket?.destroy();
      return;
    }
    const location = scripted !== undefined && scripted.location ? { location: scripted.location } : {};
    res
      .writeHead(status, { 'content-type': 'application/json', ...location })
      .end(inbox.answerBody ?? JSON.stringify({ received: status < 300 }));
  }
}
