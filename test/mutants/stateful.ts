/**
 * Stateful mutants: each breaks a promise only after a sequence (a reschedule, a code
 * update, a deletion followed by an addition, a cancel followed by a replay, the fourth
 * job of a tenant). The fixed catalogue passes every one of them; `--explore` must kill
 * each within its default runs. Test-only, like test/mutants/catalogue.ts.
 */
import type { Sandbox } from '../../server/application/sandbox';
import { iso } from '../../server/domain/clock';
import { newId } from '../../server/domain/ids';
import { slotExpired } from '../../server/domain/slots';
import type { Job } from '../../server/domain/store';
import { InMemoryStore } from '../../server/store/memory';
import type { Store, Transaction } from '../../server/store/records';
import type { DeliveryRecord } from '../../server/webhooks/records';
import type { RunningServer } from '../../server/main';
import {
  changeJob,
  onServer,
  patchedServer,
  patchMethod,
  withPolicies,
  withTransport,
  type RunningMutant,
  viewingStore,
} from './tools';

export interface StatefulMutant {
  id: string;
  /** The promise broken, and the sequence that shows it. */
  breaks: string;
  start(): Promise<RunningMutant>;
}

// any: mutants reach into request bodies of every operation.
type Any = any;

/**
 * Runs `call` with the job stored in `state` for the while, then puts its real state back
 * unless the call moved it (the answer then shows the real state too).
 */
async function asIf<T>(
  sandbox: Sandbox,
  key: string,
  jobId: string,
  state: Job['state'],
  call: () => Promise<T>,
): Promise<T> {
  const real = (await sandbox.getJob(key, jobId)).state;
  await changeJob(sandbox, key, jobId, (job) => ({ ...job, state }));
  let restored = false;
  try {
    const result = await call();
    restored = Boolean(
      await changeJob(sandbox, key, jobId, (job) => (job.state === state ? { ...job, state: real } : undefined)),
    );
    return restored && (result as Any)?.id === jobId ? { ...result, state: real } : result;
  } finally {
    if (!restored)
      await changeJob(sandbox, key, jobId, (job) => (job.state === state ? { ...job, state: real } : undefined));
  }
}

const stateOf = async (sandbox: Sandbox, key: string, jobId: string) =>
  (await sandbox.getJob(key, jobId).catch(() => undefined))?.state;

/** A server whose `method` treats a job in state `real` as if it were in state `seen`. */
const actingAs = (
  method: 'rescheduleJob' | 'advanceJob' | 'updateRecipientInstructions',
  real: Job['state'],
  seen: Job['state'],
) =>
  onServer(({ sandbox }) =>
    patchMethod(sandbox, method, (original) => async (key: string, jobId: string, request: Any) => {
      return (await stateOf(sandbox, key, jobId)) === real
        ? asIf(sandbox, key, jobId, seen, () => original(key, jobId, request))
        : original(key, jobId, request);
    }),
  );

/** What a delivery record is rewritten with, as the server writes it. */
interface DeliveryWrite {
  next: DeliveryRecord;
  /** The record it replaces (undefined: a new delivery). */
  before: DeliveryRecord | undefined;
  /** The tenant's pending deliveries as the transaction began. */
  pending: readonly DeliveryRecord[];
  /** The records this transaction wrote before, in order. */
  written: readonly DeliveryRecord[];
}

/**
 * A server on a store that rewrites each delivery record as it is written (`rewrite` returns
 * the record to store); `mutate` may patch the running server and use the store.
 */
const rewritingDeliveries =
  (
    rewrite: (write: DeliveryWrite) => DeliveryRecord,
    mutate: (server: RunningServer, store: Store) => void = () => {},
  ) =>
  () => {
    const inner = new InMemoryStore(Date.now, undefined, { freezeRecords: true });
    const view = (tx: Transaction, pending: DeliveryRecord[]): Transaction => {
      const known = new Map(pending.map((d) => [d.id, d]));
      const written: DeliveryRecord[] = [];
      const deliveries: Transaction['deliveries'] = {
        get: async (id) => {
          const found = await tx.deliveries.get(id);
          if (found && !known.has(id)) known.set(id, found);
          return found;
        },
        put: (record) => {
          const stored = rewrite({ next: record, before: known.get(record.id), pending, written });
          written.push(stored);
          known.set(record.id, stored);
          tx.deliveries.put(stored);
        },
        delete: (id) => tx.deliveries.delete(id),
        count: () => tx.deliveries.count(),
        list: (order) => tx.deliveries.list(order),
      };
      return new Proxy(tx, {
        get: (target, name) => (name === 'deliveries' ? deliveries : Reflect.get(target, name, target)),
      });
    };
    const store = viewingStore(inner, async (tx) => view(tx, await tx.pendingDeliveries.all()));
    return patchedServer((server) => mutate(server, store), {}, { store });
  };

const lastAttemptMs = (d: DeliveryRecord) => Date.parse(d.attempts[d.attempts.length - 1]?.at ?? '');

export const statefulMutants: StatefulMutant[] = [
  {
    id: 'RESCHEDULE-FREES-OLD-SLOT',
    breaks: 'a slot is single-use: after a reschedule the old slot still has had its job (here it takes a second one)',
    start: onServer(({ sandbox }) =>
      patchMethod(sandbox, 'rescheduleJob', (original) => async (key: string, jobId: string, request: Any) => {
        const oldSlot = (await sandbox.getJob(key, jobId).catch(() => undefined))?.slot.id;
        const job = await original(key, jobId, request);
        if (oldSlot !== undefined && oldSlot !== request.slot_id) {
          await sandbox.store.transact(key, async (tx) => {
            const record = await tx.slots.get(oldSlot);
            if (record) tx.slots.put({ ...record, usedByJobId: null });
          });
        }
        return job;
      }),
    ),
  },
  {
    id: 'EXTENDED-SLOT-NEVER-EXPIRES',
    breaks: 'an extended slot expires at its new expiry (here it never does)',
    start: withPolicies({ slotExpired: (record, nowMs) => !record.extended && slotExpired(record, nowMs) }),
  },
  {
    id: 'IDEMPOTENCY-FORGOTTEN-AFTER-CANCEL',
    breaks: 'an Idempotency-Key replays its 201 for 24 h (here it is forgotten once the job is cancelled)',
    start: onServer(({ sandbox }) =>
      patchMethod(sandbox, 'createJob', (original) => async (key: string, request: Any, idempotencyKey?: string) => {
        if (idempotencyKey !== undefined) {
          await sandbox.store.transact(key, async (tx) => {
            const stored = await tx.idempotency.get(idempotencyKey);
            if (stored && (await tx.jobs.get(stored.jobId))?.state === 'CANCELLED')
              tx.idempotency.delete(idempotencyKey);
          });
        }
        return original(key, request, idempotencyKey);
      }),
    ),
  },
  {
    id: 'NEW-ENDPOINT-DEAF-AFTER-DELETE',
    breaks: 'every event goes to every endpoint (here an endpoint added after a deletion gets nothing)',
    start: onServer(({ outbox }) => {
      const deleted = new Set<string>();
      patchMethod(outbox, 'deleteEndpoint', (original) => async (key: string, endpointId: string) => {
        await original(key, endpointId);
        deleted.add(key);
      });
      patchMethod(outbox, 'createEndpoint', (original) => async (key: string, request: Any) => {
        const created = await original(key, deleted.has(key) ? { ...request, url: `${request.url}-gone` } : request);
        return { ...created, url: String(created.url).replace(/-gone$/, '') };
      });
    }),
  },
  {
    id: 'WEBHOOK-CARRIES-FIRST-CODE',
    breaks:
      'the job inside a webhook is the job now (here it keeps the delivery code drawn at creation after an update)',
    start: () => {
      const first = new Map<string, string | undefined>();
      return onServer(({ outbox }) =>
        patchMethod(
          outbox,
          'enqueue',
          (original) => (tx, events) =>
            original(
              tx,
              events.map((event) => {
                if (!first.has(event.job.id)) first.set(event.job.id, event.job.delivery_code);
                const code = first.get(event.job.id);
                return code === event.job.delivery_code
                  ? event
                  : { ...event, job: { ...event.job, delivery_code: code } };
              }),
            ),
        ),
      )();
    },
  },
  {
    id: 'RESCHEDULE-ON-THE-ROAD',
    breaks: 'a job cannot be rescheduled once GOING_TO_DESTINATION_STARTED (here it can, at that one step)',
    start: actingAs('rescheduleJob', 'GOING_TO_DESTINATION_STARTED', 'CHECKED_OUT'),
  },
  {
    id: 'CANCELLED-JOB-DRIVEN',
    breaks: 'a cancelled job is final (here the driver can move it again, as if it were CREATED)',
    start: actingAs('advanceJob', 'CANCELLED', 'CREATED'),
  },
  {
    id: 'LIST-JOBS-BY-FIRST-STATE',
    breaks: 'listJobs?state= filters on the state now (here on the state a job was created in)',
    start: onServer(({ sandbox }) =>
      patchMethod(sandbox, 'listJobs', (original) => async (key: string, filter: Any = {}) => {
        if (!filter.state) return original(key, filter);
        return (await original(key, { limit: 100_000 }))
          .filter((job: Job) => (job.history[0]?.type ?? 'CREATED') === filter.state)
          .slice(0, filter.limit ?? 100);
      }),
    ),
  },
  {
    id: 'PRICES-UPDATED-WITHOUT-CHANGE',
    breaks: 'PRICES_UPDATED follows PAYMENT_UPDATED only when the prices changed (here always)',
    // PAYMENT_UPDATED always brings a PRICES_UPDATED (recorded, and queued for the webhooks); a real change's is not doubled.
    start: onServer(({ sandbox, outbox }) =>
      patchMethod(sandbox, 'updatePaymentInfo', (original) => async (key: string, jobId: string, paymentInfo: Any) => {
        const job = await original(key, jobId, paymentInfo);
        if (job.history[job.history.length - 1]?.type !== 'PAYMENT_UPDATED') return job;
        return sandbox.store.transact(key, async (tx) => {
          const stored = (await tx.jobs.get(jobId))!;
          const at = iso(Date.parse(stored.updated_at));
          const next: Job = { ...stored, history: [...stored.history, { type: 'PRICES_UPDATED', at }] };
          tx.jobs.put(next);
          await outbox.enqueue(tx, [
            { id: newId('evt'), type: 'PRICES_UPDATED', created_at: at, client_id: tx.clientId, job: next },
          ]);
          return next;
        });
      }),
    ),
  },
  {
    id: 'INSTRUCTIONS-ON-DELIVERED-JOB',
    breaks: 'a final job refuses recipient instructions, 409 (here a delivered one takes them)',
    start: actingAs('updateRecipientInstructions', 'CLIENT_RECEIVED', 'DELIVERING_STARTED'),
  },
  {
    id: 'FOURTH-JOB-WITHOUT-CODE',
    breaks: "add_delivery_code gives every job a code (here not from a tenant's fourth job on)",
    start: onServer(({ sandbox }) =>
      patchMethod(sandbox, 'createJob', (original) => async (key: string, request: Any, idempotencyKey?: string) => {
        const crowded = (await sandbox.listJobs(key, { limit: 3 })).length >= 3;
        const result = await original(key, request, idempotencyKey);
        if (crowded && !result.replayed) {
          await changeJob(
            sandbox,
            key,
            result.jobId,
            ({ delivery_code: _code, delivery_code_attempts_remaining: _attempts, ...job }) => job,
          );
        }
        return result;
      }),
    ),
  },
  {
    id: 'CODE-UPDATE-KEEPS-ATTEMPTS',
    breaks:
      'updating the code resets the wrong-attempt counter (here only a lock is lifted; earlier wrong tries still count)',
    start: onServer(({ sandbox }) =>
      patchMethod(sandbox, 'updateDeliveryCode', (original) => async (key: string, jobId: string, request: Any) => {
        const before = (await sandbox.getJob(key, jobId).catch(() => undefined))?.delivery_code_attempts_remaining;
        const job = await original(key, jobId, request);
        if (before === undefined || before <= 0) return job;
        return (
          (await changeJob(sandbox, key, jobId, (stored) => ({
            ...stored,
            delivery_code_attempts_remaining: before,
          }))) ?? job
        );
      }),
    ),
  },
  {
    id: 'DELIVERY-LOG-FIRST-ENDPOINT-ONLY',
    breaks: "the delivery log has one entry per event and endpoint (here, filtered by job, only the first endpoint's)",
    start: onServer(({ outbox }) =>
      patchMethod(outbox, 'listDeliveries', (original) => async (key: string, filter: Any = {}) => {
        const all = await original(key, filter);
        if (filter.job_id === undefined) return all;
        const first = all[all.length - 1]?.endpoint_id;
        return all.filter((d: Any) => d.endpoint_id === first);
      }),
    ),
  },
  // Receivers that fail: each of these passes the catalogue, whose receivers answer 200, or 500
  // on one endpoint, and whose retries are reached by moving the clock exactly to the due time.
  {
    id: 'HELD-BEHIND-ANOTHER-ENDPOINT',
    breaks:
      "delivery is in order per job and endpoint (here a job's event to a healthy endpoint waits behind its retrying delivery to another endpoint, for good)",
    start: rewritingDeliveries(({ next, before, pending }) =>
      before === undefined &&
      next.nextAttemptAtMs !== null &&
      pending.some((d) => d.job_id === next.job_id && d.endpoint_id !== next.endpoint_id)
        ? { ...next, nextAttemptAtMs: null }
        : next,
    ),
  },
  {
    id: 'REDIRECT-ACKNOWLEDGES',
    breaks: 'only a 2xx acknowledges a delivery; a redirect is retried (here a 3xx counts as delivered)',
    start: withTransport((send) => async (url, agent, headers, body) => {
      const outcome = await send(url, agent, headers, body);
      const status = outcome.attempt.status_code ?? 0;
      return status >= 300 && status < 400 ? { ...outcome, ok: true, attempt: { status_code: status } } : outcome;
    }),
  },
  {
    id: 'ONLY-200-ACKNOWLEDGES',
    breaks: 'any 2xx acknowledges a delivery (here a 202 or 204 is retried as a failure)',
    start: withTransport((send) => async (url, agent, headers, body) => {
      const outcome = await send(url, agent, headers, body);
      const status = outcome.attempt.status_code;
      return outcome.ok && status !== 200
        ? { ...outcome, ok: false, attempt: { status_code: status, error: `HTTP ${status}` } }
        : outcome;
    }),
  },
  {
    id: 'RETRY-WAIT-FROM-DUE-TIME',
    breaks:
      "after a failed attempt the next is due at that attempt's `at` plus the wait (here at the previous due time plus the wait, which differs once the clock went past it)",
    start: rewritingDeliveries(({ next, before }) => {
      if (
        before?.nextAttemptAtMs == null ||
        next.nextAttemptAtMs === null ||
        next.status !== 'PENDING' ||
        next.attempts.length !== before.attempts.length + 1
      )
        return next;
      const at = lastAttemptMs(next);
      return at > before.nextAttemptAtMs
        ? { ...next, nextAttemptAtMs: before.nextAttemptAtMs + (next.nextAttemptAtMs - at) }
        : next;
    }),
  },
  {
    id: 'WAITER-LATE-AFTER-DEAD-LETTER',
    breaks:
      'a delivery waiting behind another is attempted as soon as it reaches the head (here, when the one ahead was dead-lettered, an hour later)',
    start: rewritingDeliveries(({ next, before, written }) =>
      before !== undefined &&
      before.nextAttemptAtMs === null &&
      next.nextAttemptAtMs !== null &&
      written.some((d) => d.status === 'DEAD_LETTERED' && d.job_id === next.job_id)
        ? { ...next, nextAttemptAtMs: next.nextAttemptAtMs + 3600_000 }
        : next,
    ),
  },
  {
    id: 'MANUAL-RETRY-OVERTAKES-WAITING',
    breaks:
      'a manual retry of a delivery waiting behind another cannot overtake it (here it is sent at once, outside its order)',
    start: rewritingDeliveries(
      ({ next }) => next,
      ({ outbox }, store) =>
        patchMethod(outbox, 'retryDelivery', (original) => async (key: string, deliveryId: string) => {
          const entry = await original(key, deliveryId);
          if (entry.status !== 'PENDING' || entry.waiting_for === undefined) return entry;
          await store.transact(key, async (tx) => {
            const record = await tx.deliveries.get(deliveryId);
            if (record) tx.deliveries.put({ ...record, outsideChain: true, nextAttemptAtMs: 0 });
          });
          await outbox.pump(key);
          return entry;
        }),
    ),
  },
  {
    id: 'MANUAL-RETRY-RESTARTS-SCHEDULE',
    breaks:
      'a failed manual retry of a finished delivery leaves it DEAD_LETTERED with nothing due (here, from its second manual retry on, the schedule restarts)',
    start: () => {
      const retried = new Map<string, number>();
      return rewritingDeliveries(
        ({ next, before }) =>
          before?.outsideChain && next.status === 'DEAD_LETTERED' && (retried.get(next.id) ?? 0) >= 2
            ? { ...next, status: 'PENDING', nextAttemptAtMs: lastAttemptMs(next) + 1000 }
            : next,
        ({ outbox }) =>
          patchMethod(outbox, 'retryDelivery', (original) => async (key: string, deliveryId: string) => {
            const prior = (await outbox.listDeliveries(key, { limit: 1000 })).find((d) => d.id === deliveryId);
            const entry = await original(key, deliveryId);
            if (prior !== undefined && prior.status !== 'PENDING')
              retried.set(deliveryId, (retried.get(deliveryId) ?? 0) + 1);
            return entry;
          }),
      )();
    },
  },
];
