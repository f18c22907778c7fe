/**
 * Live job events for the console, one server-sent-event stream per open page. A stream
 * only ever carries its own tenant's events, and only the event type, job id and state:
 * the page fetches whatever else it needs over the API with its key.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { DeliveryUpdates, JobEvents, LiveJobEvent as StreamedJobEvent, StreamTickets } from '../live-events';

export type {
  DeliveryUpdates,
  JobEvents,
  LiveDeliveryUpdate as StreamedDeliveryUpdate,
  LiveJobEvent as StreamedJobEvent,
  StreamTickets,
} from '../live-events';

export interface StreamLimits {
  /** How long a stream ticket can wait to be used. */
  ticketTtlMs: number;
  /** Tickets held at once; the oldest are forgotten first. */
  maxTickets: number;
  /** Streams one tenant may hold open; opening one more closes its oldest. */
  maxStreamsPerTenant: number;
  /** Bytes queued to a client that does not read before its stream is dropped. */
  maxBufferedBytes: number;
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  ticketTtlMs: 60_000,
  maxTickets: 10_000,
  maxStreamsPerTenant: 16,
  maxBufferedBytes: 256 * 1024,
  heartbeatMs: 25_000,
};

interface Ticket {
  key: string;
  expiresAtMs: number;
}

/**
 * EventSource cannot send headers, so a page trades its key (sent in `x-api-key`) for a
 * short-lived, single-use ticket and puts only the ticket in the stream's URL: the key
 * itself never appears in a URL, a log line or the browser's history. These tickets live in
 * this process: with a shared store, the store's tickets take their place
 * (server/store/redis-tickets.ts), so that any instance redeems them.
 */
export class MemoryStreamTickets implements StreamTickets {
  private readonly tickets = new Map<string, Ticket>();

  constructor(
    private readonly limits: Pick<StreamLimits, 'ticketTtlMs' | 'maxTickets'> = DEFAULT_STREAM_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  issue(key: string): Promise<{ ticket: string; expires_in_seconds: number }> {
    const nowMs = this.now();
    for (const [id, t] of this.tickets) {
      if (t.expiresAtMs > nowMs && this.tickets.size < this.limits.maxTickets) break;
      this.tickets.delete(id);
    }
    const ticket = randomBytes(24).toString('base64url');
    this.tickets.set(ticket, { key, expiresAtMs: nowMs + this.limits.ticketTtlMs });
    return Promise.resolve({ ticket, expires_in_seconds: Math.floor(this.limits.ticketTtlMs / 1000) });
  }

  redeem(ticket: string): Promise<string | null> {
    const found = this.tickets.get(ticket);
    if (!found) return Promise.resolve(null);
    this.tickets.delete(ticket);
    return Promise.resolve(found.expiresAtMs > this.now() ? found.key : null);
  }

  clear(): void {
    this.tickets.clear();
  }
}

/** The open streams of this process, by tenant. */
export class TenantStreams {
  private readonly streamsByKey = new Map<string, Set<ServerResponse>>();
  private unsubscribe: (() => void) | null = null;
  private unsubscribeDeliveries: (() => void) | null = null;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    private readonly sandbox: JobEvents,
    private readonly limits: StreamLimits = DEFAULT_STREAM_LIMITS,
    private readonly deliveries?: DeliveryUpdates,
    /** Names a tenant the same way whether told its API key or its reference (the store's TenantIds.refOf). */
    private readonly tenantOf: (keyOrRef: string) => string = (key) => key,
  ) {}

  /** Turns the response into an event stream of that key's tenant until either side ends it. */
  open(apiKey: string, res: ServerResponse): void {
    const key = this.tenantOf(apiKey);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    let streams = this.streamsByKey.get(key);
    if (!streams) {
      streams = new Set();
      this.streamsByKey.set(key, streams);
    }
    if (streams.size >= this.limits.maxStreamsPerTenant) {
      const oldest = streams.values().next().value;
      if (oldest) this.drop(key, oldest);
    }
    streams.add(res);
    res.on('close', () => this.drop(key, res));
    this.subscribe();
    // A client that reconnects after a gap must refetch; it cannot replay what it missed. It
    // is told to once every event from now on reaches it (from other instances too).
    const ready = () => {
      if (!res.writableEnded) res.write('retry: 2000\nevent: ready\ndata: {}\n\n');
    };
    if (this.sandbox.listening) this.sandbox.listening().then(ready, ready);
    else ready();
  }

  get openStreams(): number {
    let n = 0;
    for (const streams of this.streamsByKey.values()) n += streams.size;
    return n;
  }

  /** Ends every stream, so a closing server is not held open by idle pages. */
  close(): void {
    for (const [key, streams] of this.streamsByKey) for (const res of streams) this.drop(key, res);
  }

  private subscribe(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.sandbox.onEvent((tenantKey, event) => this.publish(this.tenantOf(tenantKey), event));
    this.unsubscribeDeliveries =
      this.deliveries?.onDeliveryUpdate((tenantKey, d) => {
        const data = JSON.stringify({
          delivery_id: d.id,
          job_id: d.job_id,
          status: d.status,
          attempts: d.attempts.length,
        });
        this.broadcast(this.tenantOf(tenantKey), `event: delivery\ndata: ${data}\n\n`);
      }) ?? null;
    this.heartbeat = setInterval(() => this.beat(), this.limits.heartbeatMs);
    this.heartbeat.unref();
  }

  private publish(tenantKey: string, event: StreamedJobEvent): void {
    const streams = this.streamsByKey.get(tenantKey);
    if (!streams) return;
    const data = JSON.stringify({ type: event.type, job_id: event.job.id, state: event.job.state });
    this.broadcast(tenantKey, `event: job\ndata: ${data}\n\n`);
  }

  private broadcast(key: string, text: string): void {
    const streams = this.streamsByKey.get(key);
    if (!streams) return;
    for (const res of streams) this.send(key, res, text);
  }

  private beat(): void {
    for (const [key, streams] of this.streamsByKey) for (const res of streams) this.send(key, res, ': keep-alive\n\n');
  }

  private send(key: string, res: ServerResponse, text: string): void {
    if (res.destroyed || res.writableEnded || res.writableLength > this.limits.maxBufferedBytes) {
      this.drop(key, res);
      return;
    }
    res.write(text);
  }

  private drop(key: string, res: ServerResponse): void {
    const streams = this.streamsByKey.get(key);
    if (!streams?.delete(res)) return;
    if (!res.writableEnded) res.end();
    if (streams.size === 0) this.streamsByKey.delete(key);
    if (this.streamsByKey.size === 0) {
      this.unsubscribe?.();
      this.unsubscribe = null;
      this.unsubscribeDeliveries?.();
      this.unsubscribeDeliveries = null;
      if (this.heartbeat) clearInterval(this.heartbeat);
      this.heartbeat = null;
    }
  }
}
