/**
 * Deliveries as the sandbox sends them (the contract's own signer, spec/contract/webhook-signing.ts),
 * and the ways `conform-receiver` spoils one on purpose, and the one HTTP attempt that sends
 * a delivery to the receiver, as the sandbox's sender does.
 */
import http from 'node:http';
import https from 'node:https';
import {
  instaLeapSignature,
  webhookHeaders,
  webhookPayloadText,
  webhookSigner,
  type HttpAnswer,
} from '../../spec/contract';
import type { DeliveredEvent } from './events';

/** A delivery about to be sent: the exact headers (content-length aside) and body. */
export interface Delivery {
  event: DeliveredEvent;
  headers: Record<string, string>;
  body: string;
}

/** How far from now a timestamp must be refused: Standard Webhooks' 5 minutes, plus a minute of clock skew. */
export const STALE_SECONDS = 6 * 60;

/** The delivery of `event` signed with `secret` at `at`, byte for byte as the sandbox sends it. */
export function signedDelivery(event: DeliveredEvent, secret: string, at = new Date()): Delivery {
  const body = webhookPayloadText(event);
  const headers = webhookHeaders(
    webhookSigner(secret),
    { eventId: event.id, payloadText: body, instaLeapSignature: instaLeapSignature(secret, event) },
    at,
  );
  return { event, headers, body };
}

/** The `webhook-signature` value (`v1,…`) of a body signed with `secret` at the delivery's timestamp. */
export function signatureWith(secret: string, delivery: Delivery): string {
  const at = new Date(Number(delivery.headers['webhook-timestamp']) * 1000);
  return webhookSigner(secret).sign(delivery.headers['webhook-id'], at, delivery.body);
}

export function withHeaders(delivery: Delivery, changes: Record<string, string | undefined>): Delivery {
  const headers = { ...delivery.headers };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return { ...delivery, headers };
}

/** The body an attacker would send: the order's value changed after the sandbox signed it. */
export function withChangedBody(delivery: Delivery): Delivery {
  const job = delivery.event.job;
  const changed = {
    ...delivery.event,
    job: {
      ...job,
      payment_info: {
        ...job.payment_info,
        prices: { ...job.payment_info.prices, order_value: job.payment_info.prices.order_value + 1000 },
      },
    },
  };
  return { ...delivery, body: webhookPayloadText(changed) };
}

/** What came back from one attempt, or why nothing did. */
export interface AttemptOutcome {
  response?: HttpAnswer;
  error?: string;
  /** True when the error is that no answer came within the timeout. */
  timedOut?: boolean;
  durationMs: number;
}

/** An answer's body is kept up to this size for the reports; the rest is read and dropped. */
const MAX_BODY_KEPT = 16 * 1024;

/** One POST, as the sandbox's sender makes it: the headers as given, content-length, no redirect followed, a timeout. */
export function sendDelivery(url: string, delivery: Delivery, timeoutMs: number): Promise<AttemptOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: Omit<AttemptOutcome, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...outcome, durationMs: elapsed() });
    };
    const target = new URL(url);
    const transport = target.protocol === 'https:' ? https : http;
    const req = transport.request(
      target,
      {
        method: 'POST',
        headers: { ...delivery.headers, 'content-length': String(Buffer.byteLength(delivery.body)) },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (chunk: Buffer) => {
          if (kept >= MAX_BODY_KEPT) return;
          chunks.push(chunk.subarray(0, MAX_BODY_KEPT - kept));
          kept += Math.min(chunk.length, MAX_BODY_KEPT - kept);
        });
        const finish = () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers))
            if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
          let json: unknown;
          try {
            json = body === '' ? undefined : JSON.parse(body);
          } catch {
            json = undefined;
          }
          done({ response: { status: res.statusCode ?? 0, headers, body, ...(json === undefined ? {} : { json }) } });
        };
        res.on('end', finish);
        res.on('error', finish);
      },
    );
    const timer = setTimeout(() => {
      done({ error: `no answer within ${timeoutMs} ms`, timedOut: true });
      req.destroy();
    }, timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (error: NodeJS.ErrnoException) => done({ error: `${error.code ?? 'ERROR'}: ${error.message}` }));
    req.end(delivery.body);
  });
}
