/**
 * What a domain operation returns: what happened, for the application layer
 * (server/application/sandbox.ts) to carry out. The domain reads through the transaction
 * but never writes to it; it answers with
 *
 *   { answer, writes: [{ kind: 'jobs', put: job }, { kind: 'slots', delete: id }, ...], events: [...] }
 *
 * and the application layer applies the writes in order, hands the events to the outbox in
 * the same transaction and publishes them once it is committed.
 */
import { iso } from './clock';
import type { DomainError } from './errors';
import { newId } from './ids';
import type { EventType, JobEvent, OperationContext } from './operation';
import type { DomainRecords, Job } from './store';

export type RecordKind = keyof DomainRecords;

/** One change to one record of the tenant: a whole record put, or one deleted by id. */
export type RecordWrite<K extends RecordKind = RecordKind> = {
  [P in K]: { readonly kind: P; readonly put: DomainRecords[P] } | { readonly kind: P; readonly delete: string };
}[K];

/** What an operation did: its answer to the caller, the records to write, the job events, in order. */
export interface Outcome<T> {
  readonly answer: T;
  readonly writes: readonly RecordWrite[];
  readonly events: readonly JobEvent[];
}

/**
 * A refusal whose writes must still be committed (a wrong delivery code costs one of the
 * attempts left): the application layer commits the writes, then throws the refusal.
 */
export interface Refused {
  readonly refusal: DomainError;
  readonly writes: readonly RecordWrite[];
}

/** A job changed by the events of `types`: the job put back, the events in order. */
export function jobChanged(op: OperationContext, job: Job, ...types: EventType[]): Outcome<Job> {
  const events: JobEvent[] = [];
  for (const type of types) {
    const happened = recordEvent(op, job, type);
    job = happened.job;
    events.push(happened.event);
  }
  return { answer: job, writes: [{ kind: 'jobs', put: job }], events };
}

/** The job with the event appended to its history, and the event, whose `job` is that job. */
export function recordEvent(op: OperationContext, job: Job, type: EventType): { job: Job; event: JobEvent } {
  const at = iso(op.now);
  // concat allocates the exact length; a spread leaves room to grow that a stored job never uses.
  const next: Job = { ...job, history: job.history.concat([{ type, at }]), updated_at: at };
  return { job: next, event: { id: newId('evt'), type, created_at: at, client_id: op.tx.clientId, job: next } };
}
