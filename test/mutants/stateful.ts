/**
 * Stateful mutants: each breaks a promise only after a sequence (a reschedule, a code
 * update, a deletion followed by an addition, a cancel followed by a replay, the fourth
 * job of a tenant). The fixed catalogue passes every one of them; `--explore` must kill
 * each within its default runs. Test-only, like test/mutants/catalogue.ts.
 */
import type { RunningServer } from '../../server/main';
import type { Job } from '../../server/domain/store';
import { patchMethod, patchedServer, type RunningMutant, type StepWrappers } from './tools';

export interface StatefulMutant {
  id: string;
  /** The promise broken, and the sequence that shows it. */
  breaks: string;
  start(): Promise<RunningMutant>;
}

// any: mutants reach into request bodies of every operation.
type Any = any;
const onServer = (mutate: (server: RunningServer) => void) => () => patchedServer(mutate);
const withSteps = (steps: StepWrappers) => () => patchedServer(() => undefined, {}, steps);
/** Runs `call` with the job briefly in `state`, then puts its real state back unless the call moved it. */
function asIf<T>(job: Job | undefined, state: Job['state'], call: () => T): T {
  if (!job) return call();
  const real = job.state;
  job.state = state;
  try {
    return call();
  } finally {
    if (job.state === state) job.state = real;
  }
}

export const statefulMutants: StatefulMutant[] = [
  {
    id: 'RESCHEDULE-FREES-OLD-SLOT',
    breaks: 'a slot is single-use: after a reschedule the old slot still has had its job (here it takes a second one)',
    start: onServer(({ sandbox }) => patchMethod(sandbox, 'rescheduleJob', (original) => (key: string, jobId: string, request: Any) => {
      const tenant = sandbox.tenant(key);
      const oldSlot = tenant.jobs.get(jobId)?.slot.id;
      const job = original(key, jobId, request);
      const record = oldSlot === undefined ? undefined : tenant.slots.get(oldSlot);
      if (record && record.id !== request.slot_id) record.usedByJobId = null;
      return job;
    })),
  },
  {
    id: 'EXTENDED-SLOT-NEVER-EXPIRES',
    breaks: 'an extended slot expires at its new expiry (here it never does)',
    start: withSteps({ sandbox: { isExpired: (original) => (tenant, record) => !record.extended && original(tenant, record) } }),
  },
  {
    id: 'IDEMPOTENCY-FORGOTTEN-AFTER-CANCEL',
    breaks: 'an Idempotency-Key replays its 201 for 24 h (here it is forgotten once the job is cancelled)',
    start: onServer(({ sandbox }) => patchMethod(sandbox, 'createJob', (original) => (key: string, request: Any, idempotencyKey?: string) => {
      const tenant = sandbox.tenant(key);
      const stored = idempotencyKey === undefined ? undefined : tenant.idempotency.get(idempotencyKey);
      const jobId = (stored?.body as Any)?.job_id;
      if (stored && tenant.jobs.get(jobId)?.state === 'CANCELLED') tenant.idempotency.delete(idempotencyKey!);
      return original(key, request, idempotencyKey);
    })),
  },
  {
    id: 'NEW-ENDPOINT-DEAF-AFTER-DELETE',
    breaks: 'every event goes to every endpoint (here an endpoint added after a deletion gets nothing)',
    start: onServer(({ outbox }) => {
      const deleted = new Set<string>();
      patchMethod(outbox, 'deleteEndpoint', (original) => (key: string, endpointId: string) => { original(key, endpointId); deleted.add(key); });
      patchMethod(outbox, 'createEndpoint', (original) => async (key: string, request: Any) => {
        const created = await original(key, deleted.has(key) ? { ...request, url: `${request.url}-gone` } : request);
        return { ...created, url: String(created.url).replace(/-gone$/, '') };
      });
    }),
  },
  {
    id: 'WEBHOOK-CARRIES-FIRST-CODE',
    breaks: 'the job inside a webhook is the job now (here it keeps the delivery code drawn at creation after an update)',
    start: () => {
      const first = new Map<string, string | undefined>();
      return withSteps({ sandbox: { record: (original) => (tenant, job, type, now, at) => {
        if (!first.has(job.id)) first.set(job.id, job.delivery_code);
        return original(tenant, first.get(job.id) === job.delivery_code ? job : { ...job, delivery_code: first.get(job.id) }, type, now, at);
      } } })();
    },
  },
  {
    id: 'RESCHEDULE-ON-THE-ROAD',
    breaks: 'a job cannot be rescheduled once GOING_TO_DESTINATION_STARTED (here it can, at that one step)',
    start: onServer(({ sandbox }) => patchMethod(sandbox, 'rescheduleJob', (original) => (key: string, jobId: string, request: Any) => {
      const job = sandbox.tenant(key).jobs.get(jobId);
      return job?.state === 'GOING_TO_DESTINATION_STARTED' ? asIf(job, 'CHECKED_OUT', () => original(key, jobId, request)) : original(key, jobId, request);
    })),
  },
  {
    id: 'CANCELLED-JOB-DRIVEN',
    breaks: 'a cancelled job is final (here the driver can move it again, as if it were CREATED)',
    start: onServer(({ sandbox }) => patchMethod(sandbox, 'advanceJob', (original) => (key: string, jobId: string, request: Any) => {
      const job = sandbox.tenant(key).jobs.get(jobId);
      return job?.state === 'CANCELLED' ? asIf(job, 'CREATED', () => original(key, jobId, request)) : original(key, jobId, request);
    })),
  },
  {
    id: 'LIST-JOBS-BY-FIRST-STATE',
    breaks: 'listJobs?state= filters on the state now (here on the state a job was created in)',
    start: onServer(({ sandbox }) => patchMethod(sandbox, 'listJobs', (original) => (key: string, filter: Any = {}) => {
      if (!filter.state) return original(key, filter);
      return original(key, { limit: 100_000 }).filter((job: Job) => (job.history[0]?.type ?? 'CREATED') === filter.state).slice(0, filter.limit ?? 100);
    })),
  },
  {
    id: 'PRICES-UPDATED-WITHOUT-CHANGE',
    breaks: 'PRICES_UPDATED follows PAYMENT_UPDATED only when the prices changed (here always)',
    start: onServer(({ sandbox }) => patchMethod(sandbox, 'updatePaymentInfo', (original) => (key: string, jobId: string, paymentInfo: Any) => {
      const tenant = sandbox.tenant(key);
      const before = JSON.stringify(tenant.jobs.get(jobId)?.payment_info?.prices);
      const job = original(key, jobId, paymentInfo);
      if (JSON.stringify(job.payment_info.prices) === before) (sandbox as Any).record(tenant, job, 'PRICES_UPDATED', tenant.clock.now());
      return job;
    })),
  },
  {
    id: 'INSTRUCTIONS-ON-DELIVERED-JOB',
    breaks: 'a final job refuses recipient instructions, 409 (here a delivered one takes them)',
    start: onServer(({ sandbox }) => patchMethod(sandbox, 'updateRecipientInstructions', (original) => (key: string, jobId: string, request: Any) => {
      const job = sandbox.tenant(key).jobs.get(jobId);
      return job?.state === 'CLIENT_RECEIVED' ? asIf(job, 'DELIVERING_STARTED', () => original(key, jobId, request)) : original(key, jobId, request);
    })),
  },
  {
    id: 'FOURTH-JOB-WITHOUT-CODE',
    breaks: 'add_delivery_code gives every job a code (here not from a tenant\'s fourth job on)',
    start: onServer(({ sandbox }) => patchMethod(sandbox, 'createJob', (original) => (key: string, request: Any, idempotencyKey?: string) => {
      const tenant = sandbox.tenant(key);
      const crowded = tenant.jobs.size >= 3;
      const result = original(key, request, idempotencyKey);
      const job = tenant.jobs.get(result.body.job_id);
      if (crowded && job && !result.replayed) {
        delete job.delivery_code;
        delete job.delivery_code_attempts_remaining;
      }
      return result;
    })),
  },
  {
    id: 'CODE-UPDATE-KEEPS-ATTEMPTS',
    breaks: 'updating the code resets the wrong-attempt counter (here only a lock is lifted; earlier wrong tries still count)',
    start: onServer(({ sandbox }) => patchMethod(sandbox, 'updateDeliveryCode', (original) => (key: string, jobId: string, request: Any) => {
      const before = sandbox.tenant(key).jobs.get(jobId)?.delivery_code_attempts_remaining;
      const job = original(key, jobId, request);
      if (before !== undefined && before > 0) job.delivery_code_attempts_remaining = before;
      return job;
    })),
  },
  {
    id: 'DELIVERY-LOG-FIRST-ENDPOINT-ONLY',
    breaks: 'the delivery log has one entry per event and endpoint (here, filtered by job, only the first endpoint\'s)',
    start: onServer(({ outbox }) => patchMethod(outbox, 'listDeliveries', (original) => (key: string, filter: Any = {}) => {
      const all = original(key, filter);
      if (filter.job_id === undefined) return all;
      const first = all[all.length - 1]?.endpoint_id;
      return all.filter((d: Any) => d.endpoint_id === first);
    })),
  },
];
