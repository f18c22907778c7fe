/**
 * The shape of a live event, as the console streams it and the Redis relay carries it
 * between instances: only type, ids, state and attempt count, never a job's data. Here so
 * that both the console (server/console/) and the store (server/store/redis-events.ts) can
 * import it, and the store never imports the console.
 */
import type { Schemas } from '../spec/contract';

/** What a stream says of a job event. */
export interface LiveJobEvent {
  type: Schemas['EventType'];
  job: { id: string; state: Schemas['JobState'] };
}

/** Where job events come from: the sandbox, or every instance's through Redis. */
export interface JobEvents {
  onEvent(listener: (tenantKey: string, event: LiveJobEvent) => void): () => void;
  /**
   * Settles once events from elsewhere reach the listeners added so far (a relay that starts
   * listening only while someone does: server/store/redis-events.ts); absent: at once.
   */
  listening?(): Promise<void>;
}

/** What a stream says of a delivery update: its ids, status and how many attempts it has. */
export interface LiveDeliveryUpdate {
  id: string;
  job_id: string;
  status: Schemas['DeliveryStatus'];
  attempts: { length: number };
}

/** Where delivery updates come from (the outbox, or every instance's through Redis). */
export interface DeliveryUpdates {
  onDeliveryUpdate(listener: (tenantKey: string, delivery: LiveDeliveryUpdate) => void): () => void;
}

/**
 * Stream tickets: a page trades its key for a short-lived, single-use ticket, and opens its
 * stream with the ticket. Kept in this process (memory) or in the shared store, so that a
 * ticket issued by one instance opens a stream on any.
 */
export interface StreamTickets {
  issue(tenantKey: string): Promise<{ ticket: string; expires_in_seconds: number }>;
  /** The key a ticket stands for, once; null when unknown, used or expired. */
  redeem(ticket: string): Promise<string | null>;
}
