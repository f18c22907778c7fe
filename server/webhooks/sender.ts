/** One webhook attempt over HTTP(S), and the connection pools and signers it reuses. */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { webhookSigner, type WebhookSigner } from '../../spec/contract';
import type { EndpointRecord } from './records';
import { guardedLookup, isPrivateAddress } from './url-policy';

import type { Schemas } from '../../spec/contract';

export const MAX_RESPONSE_BODY_KEPT = 2048;
const SOCKETS_PER_ENDPOINT = 32;
/**
 * Pooled connections found closed that one attempt passes over before it fails: a receiver
 * closes every connection idle past its keep-alive at once, so several can be stale together.
 */
const STALE_CONNECTIONS_TRIED = SOCKETS_PER_ENDPOINT;
/** The answer's headers an attempt keeps: enough to see why a receiver refused. */
const KEPT_RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'location',
  'retry-after',
  'www-authenticate',
  'x-request-id',
] as const;

export type AttemptResponse = Schemas['AttemptResponse'];

export interface SendOutcome {
  ok: boolean;
  attempt: { status_code?: number; error?: string; response?: AttemptResponse };
  responseBody?: string;
}

/** The kept part of a body: its first 2 KB, cut on a byte boundary as UTF-8 reads it. */
export function keptBody(body: Buffer): { body: string; body_truncated: boolean } {
  return {
    body: body.subarray(0, MAX_RESPONSE_BODY_KEPT).toString('utf8'),
    body_truncated: body.length > MAX_RESPONSE_BODY_KEPT,
  };
}

/** An answer as an attempt records it, from its status, headers and (up to 2 KB more than kept of) body. */
export function answered(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
): SendOutcome {
  const kept: Record<string, string> = {};
  for (const name of KEPT_RESPONSE_HEADERS) {
    const value = headers[name];
    if (value !== undefined) kept[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const response: AttemptResponse = { status_code: status, headers: kept, ...keptBody(body) };
  const responseBody = response.body;
  if (status >= 200 && status < 300) return { ok: true, attempt: { status_code: status, response }, responseBody };
  const error =
    status >= 300 && status < 400 ? `redirect to ${kept.location ?? '(no location)'} not followed` : `HTTP ${status}`;
  return { ok: false, attempt: { status_code: status, error, response }, responseBody };
}

export type Send = (
  rawUrl: string,
  agent: http.Agent,
  headers: Record<string, string>,
  body: string,
) => Promise<SendOutcome>;

/** Settings read at each attempt, so that a change applies to the next one. */
export interface SendSettings {
  timeoutMs: number;
  allowPrivate: boolean;
}

export function sender(settings: SendSettings): Send {
  return (rawUrl, agent, headers, body) =>
    new Promise((resolve) => {
      const url = new URL(rawUrl);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (!settings.allowPrivate && isIP(host) && isPrivateAddress(host)) {
        resolve({ ok: false, attempt: { error: `refused: ${host} is a private address` } });
        return;
      }
      const transport = url.protocol === 'https:' ? https : http;
      let current: http.ClientRequest | undefined;
      let settled = false;
      const timer = setTimeout(() => {
        done({ ok: false, attempt: { error: `timeout after ${settings.timeoutMs} ms` } });
        current?.destroy();
      }, settings.timeoutMs);
      /** The attempt's one outcome: the first to come, the timer stopped. */
      const done = (result: SendOutcome) => {
        clearTimeout(timer);
        if (!settled) {
          settled = true;
          resolve(result);
        }
      };
      /**
       * A pooled connection the receiver closed while idle (its keep-alive ran out) fails the
       * request written to it at once, before the receiver read any of it: the request goes
       * again on another connection, within the same attempt and timeout, as Node's
       * documentation advises. Only then: a reset on a new connection, or after an answer
       * began, is the receiver's doing and fails the attempt.
       */
      const post = (resetsLeft: number): void => {
        const req = transport.request(
          url,
          {
            method: 'POST',
            headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
            agent,
            lookup: guardedLookup(settings.allowPrivate),
          },
          (res) => {
            const status = res.statusCode ?? 0;
            const chunks: Buffer[] = [];
            let kept = 0;
            // One byte past what is kept tells a body cut short from one exactly 2 KB long.
            const limit = MAX_RESPONSE_BODY_KEPT + 1;
            const finish = () => done(answered(status, res.headers, Buffer.concat(chunks)));
            res.on('data', (chunk: Buffer) => {
              if (kept < limit) {
                chunks.push(chunk.subarray(0, limit - kept));
                kept += Math.min(chunk.length, limit - kept);
              }
              if (kept >= limit) {
                // No more of an answer is kept; stop reading it rather than buffer a flood.
                finish();
                res.destroy();
              }
            });
            res.on('end', finish);
            res.on('error', () => finish());
          },
        );
        current = req;
        req.on('error', (error: NodeJS.ErrnoException) => {
          if (!settled && req.reusedSocket && resetsLeft > 0 && (error.code === 'ECONNRESET' || error.code === 'EPIPE'))
            return post(resetsLeft - 1);
          done({ ok: false, attempt: { error: `${error.code ?? 'ERROR'}: ${error.message}` } });
        });
        req.end(body);
      };
      post(STALE_CONNECTIONS_TRIED);
    });
}

/**
 * What this process keeps per endpoint to send faster: its signer and its own connection
 * pool, so that a receiver that hangs can only hold up its own deliveries, even when
 * another endpoint shares its host and port. Neither can change an answer.
 */
export class EndpointCaches {
  private readonly signers = new Map<string, WebhookSigner>();
  private readonly agents = new Map<string, http.Agent>();

  signer(endpoint: EndpointRecord): WebhookSigner {
    let signer = this.signers.get(endpoint.id);
    if (!signer) {
      signer = webhookSigner(endpoint.secret);
      this.signers.set(endpoint.id, signer);
    }
    return signer;
  }

  agent(endpoint: EndpointRecord): http.Agent {
    let agent = this.agents.get(endpoint.id);
    if (!agent) {
      const options = { keepAlive: true, maxSockets: SOCKETS_PER_ENDPOINT };
      agent = endpoint.url.startsWith('https:') ? new https.Agent(options) : new http.Agent(options);
      this.agents.set(endpoint.id, agent);
    }
    return agent;
  }

  forget(endpointId: string): void {
    this.signers.delete(endpointId);
    this.agents.get(endpointId)?.destroy();
    this.agents.delete(endpointId);
  }

  forgetAll(): void {
    for (const id of [...this.agents.keys(), ...this.signers.keys()]) this.forget(id);
  }
}

/** Each tenant's EndpointCaches, made on first use. */
export class EndpointCachePool {
  private readonly byTenant = new Map<string, EndpointCaches>();

  of(key: string): EndpointCaches {
    let caches = this.byTenant.get(key);
    if (!caches) {
      caches = new EndpointCaches();
      this.byTenant.set(key, caches);
    }
    return caches;
  }

  /** Whether this process has sent for the tenant. */
  has(key: string): boolean {
    return this.byTenant.has(key);
  }

  forgetEndpoint(key: string, endpointId: string): void {
    this.byTenant.get(key)?.forget(endpointId);
  }

  forgetTenant(key: string): void {
    this.byTenant.get(key)?.forgetAll();
    this.byTenant.delete(key);
  }

  forgetAll(): void {
    for (const caches of this.byTenant.values()) caches.forgetAll();
  }
}
