/**
 * Relay endpoints (`lastmile listen`): deliveries to an endpoint with no URL of its own go to
 * whoever holds its stream, on whichever instance that is, and the answer posted back (to any
 * instance) settles the attempt. Instances talk over a relay bus: in one process a local one,
 * with the Redis store a channel of it (server/store/redis-relay.ts). Messages name the relay
 * endpoint, its stream and the attempt, never the tenant or its API key.
 *
 * Whether a stream holds the relay, and since when none has, lives in the endpoint record
 * (server/webhooks/records.ts, `RelayRecord`), so every instance decides alike.
 */
import type { Schemas } from '../../spec/contract';
import { newId } from '../domain/ids';
import type { EndpointRecord, RelayRecord } from './records';
import { answered, type SendOutcome } from './sender';

export type RelayedDelivery = Schemas['RelayedDelivery'];
export type RelayAnswer = Omit<Schemas['RelayResult'], 'attempt_id'>;

/** What instances tell each other about relays. */
export type RelayMessage =
  | { kind: 'request'; endpoint_id: string; holder: string; delivery: RelayedDelivery }
  | { kind: 'result'; endpoint_id: string; attempt_id: string; answer: RelayAnswer };

/** How relay messages reach every instance, this one included. */
export interface RelayBus {
  publish(message: RelayMessage): void;
  subscribe(listener: (message: RelayMessage) => void): void;
  close(): Promise<void>;
}

/** The bus of a single process. */
export class LocalRelayBus implements RelayBus {
  private readonly listeners: Array<(message: RelayMessage) => void> = [];

  publish(message: RelayMessage): void {
    // Asynchronous, as across processes: a sender never sees its answer before it waits for it.
    queueMicrotask(() => {
      for (const listener of this.listeners) listener(message);
    });
  }

  subscribe(listener: (message: RelayMessage) => void): void {
    this.listeners.push(listener);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Whether a stream holds the relay: a holder heard of within three keep-alives. */
export function relayConnected(relay: RelayRecord, realNowMs: number, heartbeatMs: number): boolean {
  return relay.holder !== null && realNowMs - relay.seenRealMs <= 3 * heartbeatMs;
}

/** Whether the relay has gone without a stream for longer than the grace period, on the tenant clock. */
export function relayExpired(relay: RelayRecord, realNowMs: number, tenantNowMs: number, config: RelayTiming): boolean {
  return (
    !relayConnected(relay, realNowMs, config.relayHeartbeatMs) &&
    tenantNowMs - relay.seenAtMs > config.relayGraceSeconds * 1000
  );
}

export interface RelayTiming {
  relayGraceSeconds: number;
  relayHeartbeatMs: number;
}

/** One stream held on this instance. */
export interface RelaySink {
  deliver(delivery: RelayedDelivery): void;
  end(): void;
}

interface Waiter {
  endpointId: string;
  resolve(outcome: SendOutcome): void;
}

/** This instance's part of the relays: the streams it holds and the attempts it waits on. */
export class RelayHub {
  /** By holder (one stream's id). */
  private readonly sinks = new Map<string, RelaySink>();
  /** By attempt id. */
  private readonly waiters = new Map<string, Waiter>();

  constructor(private readonly bus: RelayBus) {
    bus.subscribe((message) => this.receive(message));
  }

  /** A stream this instance now holds; the returned function lets go of it. */
  attach(holder: string, sink: RelaySink): () => void {
    this.sinks.set(holder, sink);
    return () => {
      this.sinks.delete(holder);
    };
  }

  /**
   * One attempt through the relay: the delivery goes to the stream's holder, wherever it is,
   * and the answer posted back settles it; none within `timeoutMs` is a timeout.
   */
  send(
    endpoint: EndpointRecord,
    holder: string,
    delivery: Omit<RelayedDelivery, 'attempt_id'>,
    timeoutMs: number,
  ): Promise<SendOutcome> {
    const attemptId = newId('rla');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(attemptId);
        resolve({ ok: false, attempt: { error: `timeout after ${timeoutMs} ms (no answer through the relay)` } });
      }, timeoutMs);
      this.waiters.set(attemptId, {
        endpointId: endpoint.id,
        resolve: (outcome) => {
          clearTimeout(timer);
          this.waiters.delete(attemptId);
          resolve(outcome);
        },
      });
      this.bus.publish({
        kind: 'request',
        endpoint_id: endpoint.id,
        holder,
        delivery: { attempt_id: attemptId, ...delivery },
      });
    });
  }

  /** An answer posted back for one relayed attempt, from any instance. */
  report(endpointId: string, result: Schemas['RelayResult']): void {
    const { attempt_id, ...answer } = result;
    this.bus.publish({ kind: 'result', endpoint_id: endpointId, attempt_id, answer });
  }

  /** Ends every stream held here (shutting down). */
  closeStreams(): void {
    for (const sink of [...this.sinks.values()]) sink.end();
    this.sinks.clear();
  }

  private receive(message: RelayMessage): void {
    if (message.kind === 'request') {
      this.sinks.get(message.holder)?.deliver(message.delivery);
      return;
    }
    const waiter = this.waiters.get(message.attempt_id);
    // Only the relay endpoint the attempt went to may settle it.
    if (!waiter || waiter.endpointId !== message.endpoint_id) return;
    waiter.resolve(outcomeOf(message.answer));
  }
}

/** A relayed answer as an attempt records it, exactly as a direct one. */
export function outcomeOf(answer: RelayAnswer): SendOutcome {
  if (answer.status_code === undefined) {
    return { ok: false, attempt: { error: `relay: ${answer.error ?? 'no answer'}`.slice(0, 500) } };
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(answer.headers ?? {})) headers[name.toLowerCase()] = value;
  return answered(answer.status_code, headers, Buffer.from(answer.body ?? '', 'utf8'));
}
