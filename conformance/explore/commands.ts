/**
 * Performing the steps (see steps.ts): `perform` turns a step into one HTTP call, asks the
 * model which answers the contract allows, and applies the one received.
 */
import fc from 'fast-check';
import { getOperation, isSchema, type Schemas } from '../../spec/contract';
import { errorCode, uncheckedBody, type RawResponse } from '../../client/api';
import { availabilityRequest, example, reverseKeys as reorder } from '../checks/flows';
import { jobRules, slotRules, webhookRules, type Answer, type Model, type TenantModel } from './model';
import { Mismatch, type Session } from './session';
import { describeStep, type Step } from './steps';

export { describeStep, stepArbitrary, type Step } from './steps';

const pick = <T>(list: T[], i: number): T | undefined => list.length === 0 ? undefined : list[i % list.length];
const other = (m: Model, tenant: number) => m.tenants[tenant === 0 ? 1 : 0] as TenantModel | undefined;

/**
 * Whether the step makes sense in this state. Steps on a job, slot, endpoint or delivery the
 * tenant does not have yet use an id nobody handed out, which must be 404.
 */
export function applies(s: Step, m: Readonly<Model>): boolean {
  const t = m.tenants[s.tenant];
  if (!t) return false;
  if ('foreign' in s && s.foreign) {
    const theirs = other(m, s.tenant);
    return theirs !== undefined && (s.op === 'getJob' ? theirs.jobs : theirs.slots).length > 0;
  }
  return s.op === 'replay' ? t.idempotency.size > 0 : true;
}

function order(session: Session, tenant: number, slotId: string, withCode: boolean): Schemas['CreateJobRequest'] {
  const base = example('CreateJobRequestMinimal');
  return { ...base, slot_id: slotId, client_reference: `EXPLORE-${session.nonce}-${tenant}-${session.trace.length}`, ...(withCode ? { add_delivery_code: true } : {}) };
}

/**
 * The answer received, against the answers the model allows (computed before the call, as
 * the arguments are evaluated in order); applies the one that fits, else a Mismatch.
 */
async function judged<R extends RawResponse>(answers: Answer[], operationId: string, received: Promise<R>): Promise<R> {
  const response = await received;
  const got = { status: response.status, body: response.json, headers: response.headers };
  const code = errorCode(got.body);
  const candidates = answers.filter((a) => a.status === got.status && (a.code === undefined || a.code === code));
  const problems = candidates.map((a) => a.check?.(got));
  const chosen = candidates.find((_a, i) => problems[i] === undefined);
  if (!chosen) {
    const expected = answers.map((a) => `${a.status}${a.code ? ` ${a.code}` : ''}${a.note ? ` (${a.note})` : ''}`);
    const why = problems.find((p) => p !== undefined);
    throw new Mismatch(why ? `${operationId} answered ${got.status} but ${why}` : `${operationId} answered ${got.status}${code ? ` ${code}` : ''}`,
      why ? { status: got.status, but: why } : expected.length === 1 ? expected[0] : { oneOf: expected }, { status: got.status, body: got.body }, response.exchange);
  }
  chosen.apply?.(got);
  return response;
}

export async function perform(s: Step, m: Model, session: Session): Promise<void> {
  const t = m.tenants[s.tenant];
  const now = session.now(s.tenant);
  const job = (i: number) => pick(t.jobs, i);
  const unknown = `unknown-${session.nonce}`;
  const jobPath = (j: { id: string } | undefined) => ({ job_id: j?.id ?? unknown });
  /** The slot a step names: the other tenant's (which this one must not see), this one's, or none yet. */
  const slotFor = (i: number, foreign = false, unused = false) => {
    const mine = unused && t.slots.some((x) => !x.usedBy) ? t.slots.filter((x) => !x.usedBy) : t.slots;
    const slot = pick(foreign ? other(m, s.tenant)!.slots : mine, i);
    return { id: slot?.id ?? unknown, model: foreign ? undefined : slot };
  };
  switch (s.op) {
    case 'availability':
      // Eight hours in hourly slots: eight fresh slots per ask.
      const window = availabilityRequest();
      const body = { ...window, end: new Date(Date.parse(window.start) + 8 * 3600_000).toISOString() };
      await judged(slotRules.getAvailability(t, now), 'getAvailability', session.call(s.tenant, 'getAvailability', { body }));
      return;
    case 'checkSlot': case 'extendSlot': {
      const slot = slotFor(s.slot, s.foreign, s.unused);
      await judged(slotRules[s.op](slot.model, now), s.op, session.call(s.tenant, s.op, { pathParams: { slot_id: slot.id } }));
      return;
    }
    case 'createJob': {
      const slot = slotFor(s.slot, s.foreign, s.unused);
      const body = order(session, s.tenant, slot.id, s.code);
      const idempotencyKey = s.idempotent ? `explore-${session.nonce}-${session.trace.length}` : undefined;
      const response = await judged(jobRules.createJob(t, { slot: slot.model, slotId: slot.id, body, withCode: s.code, idempotencyKey, reordered: false }, now), 'createJob', session.call(s.tenant, 'createJob', { body, headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {} }));
      if (response.status === 201) await readBack(session, s.tenant, t, response.json.job_id);
      return;
    }
    case 'replay': {
      const [key, stored] = [...t.idempotency.entries()][s.key % t.idempotency.size];
      const body = s.body === 'same' ? stored.body : s.body === 'reordered' ? reorder(stored.body) : { ...stored.body, client_reference: `${stored.body.client_reference}-other` };
      await judged(jobRules.createJob(t, { slot: t.slots.find((x) => x.id === body.slot_id), slotId: body.slot_id, body, withCode: body.add_delivery_code === true, idempotencyKey: key, reordered: s.body === 'reordered' }, now), 'createJob', session.call(s.tenant, 'createJob', { body, headers: { 'idempotency-key': key } }));
      return;
    }
    case 'getJob': {
      const target = pick(s.foreign ? other(m, s.tenant)!.jobs : t.jobs, s.job);
      await judged(jobRules.getJob(t, s.foreign ? undefined : target), 'getJob', session.call(s.tenant, 'getJob', { pathParams: jobPath(target) }));
      return;
    }
    case 'cancel': {
      const reason = s.invalid ? 42 : `explore step ${session.trace.length}`;
      const body = typeof reason === 'string' ? { reason } : uncheckedBody({ reason });
      await judged(jobRules.cancelJob(t, job(s.job), reason), 'cancelJob', session.call(s.tenant, 'cancelJob', { pathParams: jobPath(job(s.job)), body }));
      return;
    }
    case 'reschedule': {
      const slot = slotFor(s.slot, false, s.unused);
      const body = s.invalid ? uncheckedBody({ slot_id: slot.id }) : { slot_id: slot.id, reason: 'explore' };
      await judged(jobRules.rescheduleJob(t, job(s.job), slot.model, !s.invalid, now), 'rescheduleJob', session.call(s.tenant, 'rescheduleJob', { pathParams: jobPath(job(s.job)), body }));
      return;
    }
    case 'updateCode':
      await judged(jobRules.updateDeliveryCode(job(s.job), s.code), 'updateDeliveryCode', session.call(s.tenant, 'updateDeliveryCode', { pathParams: jobPath(job(s.job)), body: { delivery_code: s.code } }));
      return;
    case 'payment': {
      const target = job(s.job);
      const base = example('CreateJobRequestMinimal').payment_info;
      const current = target?.prices ?? base.prices;
      const prices = s.change === 'same' ? current : { ...current, order_value: Number(current.order_value) + 1 };
      const body: Schemas['PaymentInfo'] = { ...base, prices };
      const sent = s.change === 'invalid' ? uncheckedBody({ ...base, prices: { ...current, order_value: 'a lot' } }) : body;
      await judged(jobRules.updatePaymentInfo(t, target, body, s.change !== 'invalid'), 'updatePaymentInfo', session.call(s.tenant, 'updatePaymentInfo', { pathParams: jobPath(target), body: sent }));
      return;
    }
    case 'externalData': {
      const data = s.invalid ? { webhook: { step: 1 } } : { webhook: { step: String(session.trace.length) } };
      const body = s.invalid ? uncheckedBody(data) : { webhook: { step: String(session.trace.length) } };
      await judged(jobRules.replaceExternalData(t, job(s.job), data, !s.invalid), 'replaceExternalData', session.call(s.tenant, 'replaceExternalData', { pathParams: jobPath(job(s.job)), body }));
      return;
    }
    case 'instructions': {
      const body = s.invalid ? uncheckedBody({}) : { job_comment: `explore step ${session.trace.length}` };
      await judged(jobRules.updateRecipientInstructions(t, job(s.job), !s.invalid), 'updateRecipientInstructions', session.call(s.tenant, 'updateRecipientInstructions', { pathParams: jobPath(job(s.job)), body }));
      return;
    }
    case 'advance': {
      const target = job(s.job);
      const right = target?.code ?? '0000';
      const code = { right, wrong: String((Number(right) + 1) % 10_000).padStart(4, '0'), malformed: '12a', none: undefined }[s.code];
      const body = { ...(s.to === null ? {} : { to: s.to }), ...(code === undefined ? {} : { delivery_code: code }) };
      await judged(jobRules.advanceJob(t, target, s.to ?? undefined, code), 'advanceJob', session.call(s.tenant, 'advanceJob', { pathParams: jobPath(target), body }));
      return;
    }
    case 'clock': {
      const before = session.now(s.tenant);
      const response = await session.call(s.tenant, 'advanceClock', { body: { seconds: s.seconds } }, 200);
      const moved = Date.parse(response.json.now) - before.ms;
      if (Math.abs(moved - s.seconds * 1000) > before.slackMs + 1000) {
        throw new Mismatch(`the clock moved ${moved / 1000} s when asked to move ${s.seconds} s`, before.ms + s.seconds * 1000, response.json.now, response.exchange);
      }
      session.readClock(s.tenant, response);
      return;
    }
    case 'addEndpoint': {
      const inbox = session.openInbox();
      const { url, secret } = session.inbox(inbox);
      await judged(webhookRules.createWebhookEndpoint(t, inbox, !s.invalid), 'createWebhookEndpoint', session.call(s.tenant, 'createWebhookEndpoint', { body: { url: s.invalid ? 'ftp://127.0.0.1/hooks' : url, secret } }));
      return;
    }
    case 'deleteEndpoint': {
      const endpoint = pick(t.endpoints, s.endpoint);
      // What was due before the deletion must have arrived: pending deliveries are dead-lettered by it.
      if (endpoint?.live) await session.settle(t, endpoint);
      await judged(webhookRules.deleteWebhookEndpoint(t, endpoint), 'deleteWebhookEndpoint', session.call(s.tenant, 'deleteWebhookEndpoint', { pathParams: { endpoint_id: endpoint?.id ?? unknown } }));
      return;
    }
    case 'listDeliveries': {
      const target = s.job === null ? undefined : job(s.job);
      const query = { job_id: target?.id, limit: 1000 };
      // A status outside the enum is a query the types refuse: sent untyped.
      await judged(webhookRules.listWebhookDeliveries(t, target, !s.invalid), 'listWebhookDeliveries', s.invalid
        ? session.send(s.tenant, getOperation('listWebhookDeliveries'), { query: { ...query, status: 'UNKNOWN' } })
        : session.call(s.tenant, 'listWebhookDeliveries', { query }));
      return;
    }
    case 'retryDelivery': {
      const delivery = pick(t.deliveries, s.delivery);
      await judged(webhookRules.retryWebhookDelivery(t, delivery), 'retryWebhookDelivery', session.call(s.tenant, 'retryWebhookDelivery', { pathParams: { delivery_id: delivery?.id ?? unknown } }));
      return;
    }
    case 'listJobs': {
      const state = s.state === null ? undefined : typeof s.state === 'string' ? s.state : job(s.state.ofJob)?.state ?? 'CREATED';
      const query = { limit: s.invalid ? 0 : s.limit, ...(state !== undefined && isSchema('JobState', state) ? { state } : {}) };
      await judged(jobRules.listJobs(t, state, s.limit, !s.invalid), 'listJobs', session.call(s.tenant, 'listJobs', { query }));
      return;
    }
    case 'settleWebhooks':
      await session.settle(t);
      return;
  }
}

/** A new job is read back at once: the model learns the delivery code the implementation drew. */
async function readBack(session: Session, tenant: number, t: TenantModel, jobId: string): Promise<void> {
  const target = t.jobs.find((j) => j.id === jobId);
  if (target) await judged(jobRules.getJob(t, target), 'getJob', session.call(tenant, 'getJob', { pathParams: { job_id: jobId } }));
}

export class StepCommand implements fc.AsyncCommand<Model, Session> {
  constructor(readonly step: Step) {}
  check(m: Readonly<Model>): boolean {
    return applies(this.step, m);
  }
  async run(m: Model, session: Session): Promise<void> {
    session.begin(describeStep(this.step));
    await perform(this.step, m, session);
  }
  toString(): string {
    return describeStep(this.step);
  }
}
