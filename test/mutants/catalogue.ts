/**
 * Deliberately broken variants of the reference server, each breaking one promise of the
 * contract, and the conformance checks that must catch each. Test-only: built from the
 * instances `startServer` returns (public methods), from the options any caller of
 * `startServer` may pass (policies, a transport, a store), or behind a rewriting proxy,
 * never switchable from `lastmile serve`.
 */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { Sandbox } from '../../server/application/sandbox';
import { checkDeliveryCode } from '../../server/domain/delivery-code';
import { DomainError } from '../../server/domain/errors';
import type { Job, SlotRecord } from '../../server/domain/store';
import { InMemoryStore } from '../../server/store/memory';
import type { Store, Transaction } from '../../server/store/records';
import {
  behindProxy,
  changeJob,
  changeSlot,
  editJson,
  onServer,
  patchMethod,
  patchedServer,
  withPolicies,
  withTransport,
  type RunningMutant,
  viewingStore,
} from './tools';

export interface Mutant {
  id: string;
  /** The promise of the contract this variant breaks. */
  breaks: string;
  /** Exactly the checks that fail against it (see mutants.test.ts for why exactly). */
  killedBy: string[];
  start(): Promise<RunningMutant>;
}

/** Request bodies as the handlers pass them; a mutant reads only what it breaks. */
type Any = any;

/** Runs the original; when it throws a DomainError with `code`, returns `fallback()` instead. */
function swallow(code: string, original: (...args: Any[]) => Any, fallback: (...args: Any[]) => Any) {
  return async (...args: Any[]) => {
    try {
      return await original(...args);
    } catch (error) {
      if (error instanceof DomainError && error.code === code) return fallback(...args);
      throw error;
    }
  };
}

/**
 * A server whose createJob and rescheduleJob see the slot they are given as `seen` makes
 * it; `kept` says what stays of the change afterwards (undefined: the slot as it was).
 */
const takingSlotsAs = (
  seen: (slot: SlotRecord) => SlotRecord,
  kept: (before: SlotRecord, after: SlotRecord) => SlotRecord | undefined,
) =>
  onServer(({ sandbox }) => {
    const asIf = async <T>(key: string, slotId: string, call: () => Promise<T>): Promise<T> => {
      const before = await changeSlot(sandbox, key, slotId, seen);
      try {
        return await call();
      } finally {
        if (before) await changeSlot(sandbox, key, slotId, (after) => kept(before, after) ?? before);
      }
    };
    patchMethod(
      sandbox,
      'createJob',
      (original) => (key: string, request: Any, idempotencyKey?: string) =>
        asIf(key, request.slot_id, () => original(key, request, idempotencyKey)),
    );
    patchMethod(
      sandbox,
      'rescheduleJob',
      (original) => (key: string, jobId: string, request: Any) =>
        asIf(key, request.slot_id, () => original(key, jobId, request)),
    );
  });

/** The job of another tenant, when this one has none of that id. */
function lookingInEveryTenant(inner: Store): Store {
  const elsewhere = async (key: string, jobId: string): Promise<Job | undefined> => {
    for (const other of await inner.tenantKeys()) {
      const job = other === key ? undefined : await inner.transact(other, (tx) => tx.jobs.get(jobId));
      if (job) return job;
    }
    return undefined;
  };
  const view = (tx: Transaction): Transaction => {
    const jobs: Transaction['jobs'] = {
      get: async (id) => (await tx.jobs.get(id)) ?? elsewhere(tx.tenantKey, id),
      put: (record) => tx.jobs.put(record),
      delete: (id) => tx.jobs.delete(id),
      count: () => tx.jobs.count(),
      list: (order) => tx.jobs.list(order),
    };
    return new Proxy(tx, { get: (target, name) => (name === 'jobs' ? jobs : Reflect.get(target, name, target)) });
  };
  return viewingStore(inner, view);
}

/** Runs `call` with the job in state `seen` instead of `real`; put back when `call` fails. */
async function asIfIn<T>(
  sandbox: Sandbox,
  key: string,
  jobId: string,
  real: Job['state'],
  seen: Job['state'],
  call: () => Promise<T>,
): Promise<T> {
  await changeJob(sandbox, key, jobId, (job) => ({ ...job, state: seen }));
  try {
    return await call();
  } catch (error) {
    await changeJob(sandbox, key, jobId, (job) => (job.state === seen ? { ...job, state: real } : undefined));
    throw error;
  }
}

const onProxy = (rewrites: Parameters<typeof behindProxy>[1]) => async () =>
  behindProxy(await patchedServer(() => undefined), rewrites);

export const mutants: Mutant[] = [
  {
    id: 'NESTED-REQUIRED-NOT-VALIDATED',
    breaks: 'payment_info.payment.payment_status is required (a field three levels down)',
    killedBy: ['VALIDATION-CREATE-JOB-422'],
    start: onProxy({
      request: (method, path, body) =>
        method === 'POST' && path === '/jobs'
          ? Buffer.from(
              editJson(body.toString('utf8'), (order) => {
                const payment = order?.payment_info?.payment;
                if (payment && typeof payment === 'object' && !('payment_status' in payment))
                  payment.payment_status = 'PENDING';
              }),
            )
          : body,
    }),
  },
  {
    id: 'EXPIRED-SLOT-ACCEPTED',
    breaks: 'a job on an expired slot is 417 SLOT_EXPIRED',
    killedBy: ['SANDBOX-REFUSALS', 'SLOT-EXPIRED-417'],
    // The slot's hold is lifted while a job takes it, and put back after.
    start: takingSlotsAs(
      (slot) => ({ ...slot, expiresAtMs: Number.MAX_SAFE_INTEGER }),
      (before, after) => ({ ...after, expiresAtMs: before.expiresAtMs }),
    ),
  },
  {
    id: 'SLOT-USABLE-TWICE',
    breaks: 'a slot takes one job; a second is 409 SLOT_ALREADY_USED',
    killedBy: ['IDEMPOTENCY-REPLAY', 'JOB-RESCHEDULE', 'SLOT-SINGLE-USE-409'],
    // The slot looks free while a job takes it; taken, it is the new job's.
    start: takingSlotsAs(
      (slot) => ({ ...slot, usedByJobId: null }),
      (_before, after) => (after.usedByJobId === null ? undefined : after),
    ),
  },
  {
    id: 'DELIVERY-CODE-3-DIGITS',
    breaks: 'a delivery code has 4 digits',
    killedBy: [
      'DELIVERY-CODE-COMPLETION',
      'DELIVERY-CODE-FROZEN-409',
      'DELIVERY-CODE-LOCKED-423',
      'DELIVERY-CODE-PRESENT',
      'DELIVERY-CODE-UNLOCK-AT-DOOR',
      'DELIVERY-CODE-UPDATE',
      'ISOLATION-SLOT-JOB-404',
      'JOB-SEEDED-ORDERS-201',
      'JOB-SPEC-EXAMPLES-201',
      'WEBHOOK-LIFECYCLE-EVENTS',
    ],
    start: onServer(({ sandbox }) =>
      patchMethod(sandbox, 'createJob', (original) => async (key: string, request: Any, idempotencyKey?: string) => {
        const result = await original(key, request, idempotencyKey);
        if (!result.replayed) {
          await changeJob(sandbox, key, result.jobId, (job) =>
            job.delivery_code === undefined ? undefined : { ...job, delivery_code: job.delivery_code.slice(1) },
          );
        }
        return result;
      }),
    ),
  },
  {
    id: 'WRONG-DELIVERY-CODE-ACCEPTED',
    breaks: 'a wrong delivery code is 422 INVALID_DELIVERY_CODE',
    killedBy: ['DELIVERY-CODE-LOCKED-423', 'DELIVERY-CODE-UNLOCK-AT-DOOR'],
    start: withPolicies({
      checkDeliveryCode: (job, given) => (given === undefined ? checkDeliveryCode(job, given) : { job }),
    }),
  },
  {
    id: 'NO-LOCK-AFTER-ATTEMPTS',
    breaks: 'after the last wrong code the job is 423 DELIVERY_CODE_LOCKED until the code is updated',
    killedBy: ['DELIVERY-CODE-LOCKED-423', 'DELIVERY-CODE-UNLOCK-AT-DOOR'],
    start: withPolicies({
      checkDeliveryCode: (job, given) => {
        if ((job.delivery_code_attempts_remaining ?? 0) > 0 || given === undefined)
          return checkDeliveryCode(job, given);
        if (given !== job.delivery_code)
          throw new DomainError('INVALID_DELIVERY_CODE', 'Wrong delivery code', { attempts_remaining: 0 });
        return { job };
      },
    }),
  },
  {
    id: 'WEBHOOK-UNSIGNED',
    breaks: 'every delivery carries webhook-signature',
    killedBy: [
      'WEBHOOK-ATTEMPT-RECORDED',
      'WEBHOOK-IN-ORDER-WAITING',
      'WEBHOOK-LIFECYCLE-EVENTS',
      'WEBHOOK-MANUAL-RETRY',
      'WEBHOOK-OUT-OF-BAND-EVENTS',
      'WEBHOOK-RETRY',
    ],
    start: withTransport((send) => (url, agent, headers, body) => {
      const { 'webhook-signature': _dropped, ...rest } = headers;
      return send(url, agent, rest, body);
    }),
  },
  {
    id: 'WEBHOOK-SIGNED-WITH-WRONG-SECRET',
    breaks: "webhook-signature is keyed with the endpoint's secret",
    killedBy: [
      'WEBHOOK-ATTEMPT-RECORDED',
      'WEBHOOK-IN-ORDER-WAITING',
      'WEBHOOK-LIFECYCLE-EVENTS',
      'WEBHOOK-MANUAL-RETRY',
      'WEBHOOK-OUT-OF-BAND-EVENTS',
      'WEBHOOK-RETRY',
    ],
    start: () => {
      const stranger = new Webhook(`whsec_${Buffer.from('not the endpoint secret, 32 bytes').toString('base64')}`);
      return withTransport(
        (send) => (url, agent, headers, body) =>
          send(
            url,
            agent,
            {
              ...headers,
              'webhook-signature': stranger.sign(
                headers['webhook-id'],
                new Date(Number(headers['webhook-timestamp']) * 1000),
                body,
              ),
            },
            body,
          ),
      )();
    },
  },
  {
    id: 'WEBHOOK-SIGNED-OTHER-BODY',
    breaks: 'webhook-signature covers the body as sent (here: signed, then re-serialized pretty-printed)',
    killedBy: [
      'WEBHOOK-IN-ORDER-WAITING',
      'WEBHOOK-LIFECYCLE-EVENTS',
      'WEBHOOK-MANUAL-RETRY',
      'WEBHOOK-OUT-OF-BAND-EVENTS',
      'WEBHOOK-RETRY',
    ],
    start: withTransport(
      (send) => (url, agent, headers, body) => send(url, agent, headers, JSON.stringify(JSON.parse(body), null, 2)),
    ),
  },
  {
    id: 'WEBHOOK-EVENTS-OUT-OF-ORDER',
    breaks: "a job's events arrive in the order they happened (here: each burst of events is sent last first)",
    killedBy: ['WEBHOOK-LIFECYCLE-EVENTS', 'WEBHOOK-OUT-OF-BAND-EVENTS'],
    start: onServer(({ outbox }) =>
      patchMethod(outbox, 'enqueue', (original) => (tx, events) => original(tx, [...events].reverse())),
    ),
  },
  {
    id: 'WEBHOOK-NO-RETRY',
    breaks: 'a delivery answered 500 is retried on the schedule (here: dead-lettered at once)',
    killedBy: ['WEBHOOK-DEAD-LETTER', 'WEBHOOK-IN-ORDER-WAITING', 'WEBHOOK-RETRY'],
    start: onServer(({ outbox }) => {
      outbox.config.retrySchedule = [];
    }),
  },
  {
    id: 'WEBHOOK-JOB-WITHOUT-DELIVERY-CODE',
    breaks: "the webhook's job carries the delivery code, as GET /jobs/{id} does",
    killedBy: ['WEBHOOK-LIFECYCLE-EVENTS'],
    start: onServer(({ outbox }) =>
      patchMethod(
        outbox,
        'enqueue',
        (original) => (tx, events) =>
          original(
            tx,
            events.map((event) => {
              const { delivery_code: _dropped, ...job } = event.job;
              return { ...event, job: job };
            }),
          ),
      ),
    ),
  },
  {
    id: 'TENANT-READS-OTHER-JOB',
    breaks: "another tenant's job is 404 (here: a job id is looked up in every tenant)",
    killedBy: ['ISOLATION-SLOT-JOB-404', 'ISOLATION-WEBHOOKS'],
    start: () =>
      patchedServer(
        () => undefined,
        {},
        { store: lookingInEveryTenant(new InMemoryStore(Date.now, undefined, { freezeRecords: true })) },
      ),
  },
  {
    id: 'MALFORMED-JSON-500',
    breaks: 'a body that is not JSON is 400 MALFORMED_JSON, not a crash',
    killedBy: ['VALIDATION-MALFORMED-JSON-400', 'VALIDATION-MALFORMED-JSON-SANDBOX-400'],
    start: onProxy({
      response: (exchange) =>
        exchange.status === 400 && exchange.body.includes('"MALFORMED_JSON"')
          ? {
              ...exchange,
              status: 500,
              body: JSON.stringify({ code: 'INTERNAL', message: 'Unexpected end of JSON input' }),
            }
          : exchange,
    }),
  },
  {
    id: 'CREATE-JOB-WITHOUT-LOCATION',
    breaks: '201 on POST /jobs carries Location: /jobs/{id}',
    killedBy: [
      'DELIVERY-CODE-COMPLETION',
      'DELIVERY-CODE-FROZEN-409',
      'DELIVERY-CODE-LOCKED-423',
      'DELIVERY-CODE-PRESENT',
      'DELIVERY-CODE-UNLOCK-AT-DOOR',
      'DELIVERY-CODE-UPDATE',
      'FAULT-AFTER-COMMITS-IDEMPOTENT-RETRY',
      'FAULT-BEFORE-CHANGES-NOTHING',
      'FAULT-WEBHOOK-DUPLICATE',
      'IDEMPOTENCY-KEY-REUSED-409',
      'IDEMPOTENCY-REPLAY',
      'ISOLATION-SLOT-JOB-404',
      'ISOLATION-WEBHOOKS',
      'JOB-CANCEL',
      'JOB-LIFECYCLE-STEPS',
      'JOB-PAYMENT-AND-EXTERNAL-DATA',
      'JOB-RESCHEDULE',
      'JOB-SEEDED-ORDERS-201',
      'JOB-SPEC-EXAMPLES-201',
      'JOB-UNKNOWN-FIELDS-WARNED',
      'JOB-UPDATE-REFUSALS',
      'SANDBOX-REFUSALS',
      'SLOT-EXTEND-TTL',
      'SLOT-SINGLE-USE-409',
      'VALIDATION-CONTENT-TYPE-415',
      'VALIDATION-CONTENT-TYPE-SANDBOX-415',
      'VALIDATION-CREATE-JOB-422',
      'VALIDATION-MALFORMED-JSON-400',
      'VALIDATION-MALFORMED-JSON-SANDBOX-400',
      'WEBHOOK-ATTEMPT-RECORDED',
      'WEBHOOK-DEAD-LETTER',
      'WEBHOOK-IN-ORDER-WAITING',
      'WEBHOOK-LIFECYCLE-EVENTS',
      'WEBHOOK-MANUAL-RETRY',
      'WEBHOOK-OUT-OF-BAND-EVENTS',
      'WEBHOOK-RETRY',
    ],
    start: onProxy({
      response: (exchange) => {
        if (exchange.method === 'POST' && exchange.path === '/jobs' && exchange.status === 201)
          delete exchange.headers.location;
        return exchange;
      },
    }),
  },
  {
    id: 'ATTEMPTS-REMAINING-AS-STRING',
    breaks: 'attempts_remaining is an integer (here: a string, as read from a text column)',
    killedBy: ['DELIVERY-CODE-LOCKED-423', 'DELIVERY-CODE-UNLOCK-AT-DOOR'],
    start: onProxy({
      response: (exchange) =>
        exchange.status === 422 && exchange.body.includes('"INVALID_DELIVERY_CODE"')
          ? {
              ...exchange,
              body: editJson(exchange.body, (error) => {
                error.attempts_remaining = String(error.attempts_remaining);
              }),
            }
          : exchange,
    }),
  },
  {
    id: 'CANCEL-ANSWERS-204',
    breaks: 'cancel answers a documented status (here: 204, which the spec does not list)',
    killedBy: ['JOB-CANCEL', 'JOB-PAYMENT-AND-EXTERNAL-DATA', 'SANDBOX-REFUSALS', 'WEBHOOK-OUT-OF-BAND-EVENTS'],
    start: onProxy({
      response: (exchange) =>
        exchange.method === 'POST' && exchange.path.endsWith('/cancel') && exchange.status === 200
          ? { ...exchange, status: 204, body: '' }
          : exchange,
    }),
  },
  {
    id: 'IDEMPOTENT-REPLAY-CREATES-JOB',
    breaks: 'a replay with the same Idempotency-Key and body creates nothing',
    killedBy: ['FAULT-AFTER-COMMITS-IDEMPOTENT-RETRY', 'IDEMPOTENCY-REPLAY'],
    start: onServer(({ sandbox }) =>
      patchMethod(sandbox, 'createJob', (original) => async (key: string, request: Any, idempotencyKey?: string) => {
        const result = await original(key, request, idempotencyKey);
        if (!result.replayed) return result;
        const copy: Job = { ...structuredClone(await sandbox.getJob(key, result.jobId)), id: randomUUID() };
        await sandbox.store.transact(key, async (tx) => tx.jobs.put(copy));
        return { jobId: copy.id, response: { ...result.response, job_id: copy.id }, replayed: false };
      }),
    ),
  },
  {
    id: 'EXPIRED-SLOT-EXTENDED',
    breaks: 'an expired slot cannot be extended (417)',
    killedBy: ['SLOT-EXPIRED-417'],
    start: onServer(({ sandbox }) =>
      patchMethod(sandbox, 'extendSlot', (original) =>
        swallow('SLOT_EXPIRED', original, async (key: string, slotId: string) => {
          await sandbox.store.transact(key, async (tx) => {
            const record = (await tx.slots.get(slotId))!;
            tx.slots.put({
              ...record,
              expiresAtMs: record.originalExpiresAtMs + 3 * sandbox.config.slotTtlSeconds * 1000,
              extended: true,
            });
          });
          return sandbox.checkSlot(key, slotId);
        }),
      ),
    ),
  },
  {
    id: 'DELIVERED-JOB-CANCELLED',
    breaks: 'a finished job cannot be cancelled (409 ILLEGAL_TRANSITION)',
    killedBy: ['JOB-LIFECYCLE-STEPS'],
    // A delivered job is cancelled as if it were still at the door.
    start: onServer(({ sandbox }) =>
      patchMethod(sandbox, 'cancelJob', (original) => async (key: string, jobId: string, request?: Any) => {
        const state = (await sandbox.getJob(key, jobId).catch(() => undefined))?.state;
        return state === 'CLIENT_RECEIVED'
          ? asIfIn(sandbox, key, jobId, 'CLIENT_RECEIVED', 'DELIVERING_STARTED', () => original(key, jobId, request))
          : original(key, jobId, request);
      }),
    ),
  },
  {
    id: 'LOCK-NOT-LIFTED-AT-DOOR',
    breaks:
      'the one code update allowed at DELIVERING_STARTED lifts a lock (here: the code is frozen there, locked or not)',
    killedBy: ['DELIVERY-CODE-UNLOCK-AT-DOOR'],
    start: onServer(({ sandbox }) =>
      patchMethod(sandbox, 'updateDeliveryCode', (original) => async (key: string, jobId: string, request: Any) => {
        if ((await sandbox.getJob(key, jobId)).state === 'DELIVERING_STARTED')
          throw new DomainError('DELIVERY_CODE_FROZEN', 'Job is DELIVERING_STARTED');
        return original(key, jobId, request);
      }),
    ),
  },
  {
    id: 'NO-WEBHOOK-ENDPOINT-LIMIT',
    breaks: 'a tenant holds at most 3 webhook endpoints',
    killedBy: ['WEBHOOK-ENDPOINT-LIMIT-409'],
    start: onServer(({ outbox }) => {
      outbox.config.maxEndpointsPerTenant = Number.POSITIVE_INFINITY;
    }),
  },
  {
    id: 'WEBHOOK-NEVER-DEAD-LETTERED',
    breaks:
      'a delivery that keeps failing is dead-lettered after the retry schedule (here: retried every second, for ever)',
    killedBy: ['WEBHOOK-DEAD-LETTER'],
    start: onServer(({ outbox }) => {
      outbox.config.retrySchedule = Array.from({ length: 10_000 }, () => 1);
    }),
  },
  {
    id: 'WEBHOOK-MANUAL-RETRY-IGNORED',
    breaks:
      'POST /sandbox/webhook-deliveries/{id}/retry sends the delivery again (here: answers 202 and sends nothing)',
    killedBy: ['WEBHOOK-DEAD-LETTER', 'WEBHOOK-MANUAL-RETRY'],
    start: onServer(({ outbox }) =>
      patchMethod(outbox, 'retryDelivery', (original) => async (key: string, deliveryId: string) => {
        return (
          (await outbox.listDeliveries(key, { limit: 10_000 })).find((d) => d.id === deliveryId) ??
          original(key, deliveryId)
        );
      }),
    ),
  },
  {
    id: 'IDEMPOTENCY-COMPARES-BYTES',
    breaks: '"the same body" is the same JSON value, whatever the order of its keys (here: the same text)',
    killedBy: ['IDEMPOTENCY-REPLAY'],
    start: onServer(({ sandbox }) => {
      const firstText = new Map<string, string>();
      patchMethod(sandbox, 'createJob', (original) => (key: string, request: Any, idempotencyKey?: string) => {
        if (idempotencyKey !== undefined) {
          const text = JSON.stringify(request);
          const first = firstText.get(`${key} ${idempotencyKey}`) ?? text;
          if (first !== text)
            throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with another body');
          firstText.set(`${key} ${idempotencyKey}`, first);
        }
        return original(key, request, idempotencyKey);
      });
    }),
  },
  {
    id: 'FROZEN-CLOCK-NOT-ADVANCED',
    breaks: 'a frozen clock moves when advanced (here: it stays where it was frozen)',
    killedBy: [
      'SANDBOX-CLOCK-ADVANCE',
      'SANDBOX-CLOCK-ADVANCE-TO',
      'SANDBOX-CLOCK-FREEZE',
      'SLOT-EXPIRED-417',
      'SLOT-EXTEND-TTL',
      'WEBHOOK-DEAD-LETTER',
      'WEBHOOK-IN-ORDER-WAITING',
      'WEBHOOK-RETRY',
    ],
    start: onServer(({ sandbox }) =>
      patchMethod(
        sandbox,
        'advanceClock',
        (original) => async (key: string, request: Parameters<typeof original>[1]) =>
          (await sandbox.clock(key)).frozen ? sandbox.clock(key) : original(key, request),
      ),
    ),
  },
  {
    id: 'RETRY-OF-DELETED-ENDPOINT-ACCEPTED',
    breaks:
      'a manual retry of a delivery whose endpoint was deleted is 409 WEBHOOK_ENDPOINT_DELETED (here: 202, nothing sent)',
    killedBy: ['WEBHOOK-MANUAL-RETRY'],
    start: onServer(({ outbox }) =>
      patchMethod(outbox, 'retryDelivery', (original) =>
        swallow('WEBHOOK_ENDPOINT_DELETED', original, async (key: string, deliveryId: string) =>
          (await outbox.listDeliveries(key, { limit: 10_000 })).find((d) => d.id === deliveryId),
        ),
      ),
    ),
  },
];
