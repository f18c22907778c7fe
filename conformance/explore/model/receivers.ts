/**
 * Receivers that fail: what the contract says happens to each event's delivery to an endpoint
 * whose receiver answers from a script. The first attempt is made when the event happens, unless
 * an earlier delivery of the same job to the same endpoint is still pending (then it waits, and is
 * attempted as soon as it reaches the head). Any 2xx acknowledges; anything else (5xx, a
 * redirect, no answer) is retried at the failed attempt's `at` plus the schedule's wait for the
 * number of attempts made, then dead-lettered. A manual retry of a finished delivery is sent
 * once, outside the order; of a pending head, it is an attempt now; of a waiting one, nothing.
 *
 * The schedule's length, waits and jitter are the server's configuration (the spec gives
 * 1, 5, 30, 120, 600 s, each ±10 %, as the default only), so the model learns the length from the
 * log (a delivery dead-lettered after n attempts says every delivery is) and holds a wait to what
 * any schedule and any jitter below 100 % allow: the next attempt is due at or after the failed
 * one's `at`. The due time itself is read from the log, exactly, and reached on the clock.
 */
import { documented, type Response } from './response';
import type { DeliveryModel, EndpointModel, EventModel, ReceiverScript, TenantModel } from './state';
import { instant, show } from '../instant';
import type { Schemas } from '../../../spec/contract';

/** What a scripted receiver answers to the n-th request (from 1) for one event. */
export type ScriptAnswer = { status: number; location?: string } | 'no answer';

export function scriptAnswer(script: ReceiverScript, nth: number): ScriptAnswer {
  if (nth > script.failures) return { status: script.ok };
  if (script.fail === 'no answer') return 'no answer';
  if (script.fail === 'redirect') return { status: 307, location: 'http://127.0.0.1:9/moved' };
  return { status: script.fail };
}

export const acknowledges = (script: ReceiverScript, nth: number) => nth > script.failures;

export function describeScript(script: ReceiverScript): string {
  const fail =
    typeof script.fail === 'number' ? `${script.fail}` : script.fail === 'redirect' ? 'a 307 redirect' : 'no answer';
  if (script.failures === 0) return `answers ${script.ok}`;
  if (script.failures === Infinity) return `always answers ${fail}`;
  return `answers ${fail} to each event's first ${script.failures} attempt${script.failures > 1 ? 's' : ''}, then ${script.ok}`;
}

const chain = (endpoint: EndpointModel, jobId: string) =>
  endpoint.expected.filter((e) => e.jobId === jobId && e.delivery?.status === 'PENDING');

/** The delivery at the head of its job's queue to this endpoint. */
export const headOf = (endpoint: EndpointModel, jobId: string) => chain(endpoint, jobId)[0];

/** One attempt of a delivery in its queue: the receiver answers from its script. */
export function attempt(t: TenantModel, endpoint: EndpointModel, event: EventModel): void {
  const d = event.delivery!;
  d.requests += 1;
  d.attempts += 1;
  d.due = undefined;
  d.waiting = false;
  if (acknowledges(endpoint.script!, d.requests)) settle(t, endpoint, event, 'SUCCEEDED');
  else if (t.schedule.maxAttempts !== undefined && d.attempts >= t.schedule.maxAttempts)
    settle(t, endpoint, event, 'DEAD_LETTERED');
  else if (d.attempts > t.schedule.retriedAfter) d.unresolved = true;
}

/** The delivery is finished: the one waiting behind it is attempted at once. */
export function settle(
  t: TenantModel,
  endpoint: EndpointModel,
  event: EventModel,
  status: 'SUCCEEDED' | 'DEAD_LETTERED',
): void {
  const d = event.delivery!;
  d.status = status;
  d.unresolved = false;
  d.due = undefined;
  const next = headOf(endpoint, event.jobId);
  if (next && endpoint.live && next.delivery!.waiting) attempt(t, endpoint, next);
}

/** A new event at a scripted endpoint: attempted now, or waiting behind its job's pending delivery. */
export function deliver(t: TenantModel, endpoint: EndpointModel, event: EventModel): void {
  const waiting = headOf(endpoint, event.jobId) !== undefined;
  event.delivery = { requests: 0, attempts: 0, status: 'PENDING', waiting, unresolved: false };
  endpoint.expected.push(event);
  if (!waiting) attempt(t, endpoint, event);
}

const heads = (t: TenantModel) =>
  t.endpoints
    .filter((e) => e.script && e.live)
    .flatMap((e) => [...new Set(e.expected.map((x) => x.jobId))].map((job) => ({ endpoint: e, event: headOf(e, job) })))
    .filter((h): h is { endpoint: EndpointModel; event: EventModel } => h.event !== undefined);

/** The earliest due time of a pending head, if any is known. */
export function nextDue(t: TenantModel): bigint | undefined {
  let due: bigint | undefined;
  for (const { event } of heads(t)) {
    const at = event.delivery!.due;
    if (at !== undefined && (due === undefined || at < due)) due = at;
  }
  return due;
}

/** The tenant's clock now shows `now`: every head due by then is attempted (once: its next wait starts now). */
export function clockMoved(t: TenantModel, now: bigint): void {
  for (const { endpoint, event } of heads(t)) {
    const d = event.delivery!;
    if (!d.waiting && d.due !== undefined && d.due <= now) attempt(t, endpoint, event);
  }
}

/** The endpoint is deleted: its pending deliveries are dead-lettered, nothing more is sent. */
export function endpointDeleted(endpoint: EndpointModel): void {
  for (const event of endpoint.expected) {
    const d = event.delivery;
    if (d?.status === 'PENDING')
      Object.assign(d, { status: 'DEAD_LETTERED', waiting: false, unresolved: false, due: undefined });
  }
}

/** The scripted delivery a delivery id names, if the model has matched it. */
export function scriptedDelivery(
  t: TenantModel,
  id: string,
): { endpoint: EndpointModel; event: EventModel } | undefined {
  for (const endpoint of t.endpoints)
    for (const event of endpoint.expected) if (endpoint.script && event.delivery?.id === id) return { endpoint, event };
  return undefined;
}

/** A manual retry of a scripted delivery, answered 202: what it must show, and what it changes. */
export function manualRetry(
  t: TenantModel,
  endpoint: EndpointModel,
  event: EventModel,
): { check: (r: Response) => string | undefined; apply: () => void } {
  const d = event.delivery!;
  const head = headOf(endpoint, event.jobId);
  if (d.status === 'PENDING' && d.waiting)
    return {
      // It cannot overtake: the entry as it was.
      check: (r) => {
        const entry = documented(r, 'retryWebhookDelivery', 202);
        return (
          entryDifference(entry, {
            status: 'PENDING',
            attempts: 0,
            next_attempt_at: null,
            waiting_for: head?.delivery?.id,
          }) ?? undefined
        );
      },
      apply: () => undefined,
    };
  if (d.status === 'PENDING') return { check: () => undefined, apply: () => attempt(t, endpoint, event) };
  return {
    check: () => undefined,
    apply: () => {
      // Sent once more, outside the order; a failure leaves it dead-lettered with nothing due.
      d.requests += 1;
      d.attempts += 1;
      d.status = acknowledges(endpoint.script!, d.requests) ? 'SUCCEEDED' : 'DEAD_LETTERED';
    },
  };
}

type Entry = Schemas['WebhookDelivery'];
interface Shown {
  status: Entry['status'];
  attempts: number;
  next_attempt_at?: string | null;
  waiting_for?: string;
}
function entryDifference(entry: Entry, want: Shown): string | undefined {
  const got: Shown = { status: entry.status, attempts: entry.attempts.length };
  if ('next_attempt_at' in want) got.next_attempt_at = entry.next_attempt_at ?? null;
  if ('waiting_for' in want) got.waiting_for = entry.waiting_for;
  return JSON.stringify(got) === JSON.stringify(want)
    ? undefined
    : `delivery ${entry.id} (${entry.event_type} of job ${entry.job_id}): expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`;
}

/** Whether the log already lists every delivery and attempt the model expects at scripted endpoints. */
export function logCaughtUp(t: TenantModel, log: Entry[]): boolean {
  return t.endpoints
    .filter((e) => e.script)
    .every((e) => {
      const mine = log.filter((l) => l.endpoint_id === e.id);
      const attempts = mine.reduce((n, l) => n + l.attempts.length, 0);
      return mine.length >= e.expected.length && attempts >= e.expected.reduce((n, x) => n + x.delivery!.attempts, 0);
    });
}

/** Requests the receiver must have had, per event id, at each scripted endpoint's inbox. */
export function expectedRequests(endpoint: EndpointModel): Map<string, number> {
  const out = new Map<string, number>();
  for (const x of endpoint.expected) if (x.delivery?.eventId) out.set(x.delivery.eventId, x.delivery.requests);
  return out;
}

/**
 * The delivery log against the model, at every scripted endpoint: one entry per event (matched
 * oldest first per job, the log being newest first), each with the status, attempts, due time
 * and `waiting_for` the contract says. Learns the schedule; resolves failed attempts whose
 * outcome (retried or dead-lettered) only the schedule's length decides. Returns a difference,
 * or undefined; `changed` is set when resolving made more attempts due at once.
 */
export function judgeLog(t: TenantModel, log: Entry[]): { problem?: string; changed: boolean } {
  const changed = false;
  for (const endpoint of t.endpoints.filter((e) => e.script)) {
    const mine = log.filter((l) => l.endpoint_id === endpoint.id).reverse();
    for (const jobId of new Set(endpoint.expected.map((x) => x.jobId))) {
      const events = endpoint.expected.filter((x) => x.jobId === jobId);
      const entries = mine.filter((l) => l.job_id === jobId);
      if (entries.length !== events.length)
        return {
          changed,
          problem: `the delivery log lists ${entries.length} deliveries of job ${jobId} to endpoint ${endpoint.id}, expected ${events.length} (${events.map((e) => e.type).join(', ')})`,
        };
      for (let i = 0; i < events.length; i++) {
        const [event, entry] = [events[i], entries[i]];
        const d = event.delivery!;
        if (entry.event_type !== event.type)
          return {
            changed,
            problem: `delivery ${entry.id}: event ${entry.event_type}, expected ${event.type} (oldest first per job)`,
          };
        d.id = entry.id;
        d.eventId = entry.event_id;
        if (entry.attempts.length !== d.attempts)
          return {
            changed,
            problem: `delivery ${entry.id} (${event.type} of job ${jobId}, receiver ${describeScript(endpoint.script!)}): ${entry.attempts.length} attempts logged, expected ${d.attempts}`,
          };
        if (d.unresolved) {
          if (entry.status === 'DEAD_LETTERED') {
            if (t.schedule.maxAttempts === undefined) t.schedule.maxAttempts = d.attempts;
            settle(t, endpoint, event, 'DEAD_LETTERED');
            // The delivery waiting behind it is attempted now: the log is read again before judging on.
            return { changed: true };
          } else if (entry.status === 'PENDING' && entry.next_attempt_at) {
            t.schedule.retriedAfter = Math.max(t.schedule.retriedAfter, d.attempts);
            d.unresolved = false;
          } else
            return {
              changed,
              problem: `delivery ${entry.id} failed its attempt ${d.attempts}: expected PENDING with a next_attempt_at, or DEAD_LETTERED, got ${entry.status} with next_attempt_at ${JSON.stringify(entry.next_attempt_at ?? null)}`,
            };
        }
        const head = headOf(endpoint, jobId);
        const want: Shown =
          d.status !== 'PENDING'
            ? { status: d.status, attempts: d.attempts, next_attempt_at: null }
            : d.waiting
              ? { status: 'PENDING', attempts: d.attempts, next_attempt_at: null, waiting_for: head?.delivery?.id }
              : { status: 'PENDING', attempts: d.attempts };
        const problem = entryDifference(entry, want);
        if (problem) return { changed, problem };
        if (d.status === 'PENDING' && !d.waiting) {
          const due = instant(entry.next_attempt_at);
          const at = instant(entry.attempts[entry.attempts.length - 1]?.at);
          if (due === undefined || at === undefined)
            return {
              changed,
              problem: `delivery ${entry.id} is retrying but next_attempt_at is ${JSON.stringify(entry.next_attempt_at ?? null)}`,
            };
          if (due < at)
            return {
              changed,
              problem: `delivery ${entry.id}: next_attempt_at ${entry.next_attempt_at} is before its failed attempt's at ${entry.attempts[entry.attempts.length - 1].at}; it must be that at plus the schedule's wait`,
            };
          if (t.schedule.maxAttempts !== undefined && d.attempts >= t.schedule.maxAttempts)
            return {
              changed,
              problem: `delivery ${entry.id} is retried after ${d.attempts} attempts, when another was dead-lettered after ${t.schedule.maxAttempts}`,
            };
          d.due = due;
        }
      }
    }
  }
  return { changed };
}

export { show };
export type { DeliveryModel };
