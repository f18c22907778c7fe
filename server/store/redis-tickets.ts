/**
 * Console stream tickets in Redis, so that a ticket issued by one instance opens a stream on
 * any (nothing behind the load balancer is sticky). Single use (GETDEL) and short-lived (the
 * key expires, and the expiry sealed inside is checked too).
 *
 * Redis never holds a ticket or an API key in clear: the key of a ticket's entry is a hash of
 * the ticket, and its value is the API key sealed (AES-256-GCM) with a key derived from the
 * ticket. Reading Redis gives neither; only the page that holds the ticket can redeem it.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { StreamTickets } from '../live-events';
import type { RedisCall } from './redis-transaction';

export interface RedisStreamTicketsOptions {
  prefix: string;
  ttlMs: number;
  now?: () => number;
}

const SEAL_INFO = 'lastmile stream ticket';

export class RedisStreamTickets implements StreamTickets {
  private readonly now: () => number;

  /** `call` runs one Redis command as the store does (a failure is StoreUnavailableError). */
  constructor(
    private readonly call: RedisCall,
    private readonly options: RedisStreamTicketsOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  private entry(ticket: string): string {
    return `${this.options.prefix}ticket:${createHash('sha256').update(ticket).digest('base64url')}`;
  }

  async issue(tenantKey: string): Promise<{ ticket: string; expires_in_seconds: number }> {
    const ticket = randomBytes(24).toString('base64url');
    const sealed = seal(ticket, JSON.stringify({ key: tenantKey, until: this.now() + this.options.ttlMs }));
    await this.call((r) => r.set(this.entry(ticket), sealed, 'PX', this.options.ttlMs));
    return { ticket, expires_in_seconds: Math.floor(this.options.ttlMs / 1000) };
  }

  async redeem(ticket: string): Promise<string | null> {
    const sealed = await this.call((r) => r.getdel(this.entry(ticket)));
    if (sealed === null) return null;
    const opened = unseal(ticket, sealed);
    if (opened === null) return null;
    const { key, until } = JSON.parse(opened) as { key: string; until: number };
    return until > this.now() ? key : null;
  }
}

function sealingKey(ticket: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ticket, '', SEAL_INFO, 32));
}

function seal(ticket: string, text: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(ticket), iv);
  const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

function unseal(ticket: string, sealed: string): string | null {
  try {
    const bytes = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', sealingKey(ticket), bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return null; // not sealed with this ticket: treat as unknown
  }
}
