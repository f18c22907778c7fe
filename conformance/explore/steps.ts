/**
 * The explorer's steps, one registry entry each: how fast-check draws it (its fields and
 * weight), how a trace names it, which operations it calls, and how it is performed (one
 * HTTP call judged by a rule of the model in model/). Adding a step is adding an entry here:
 * the Step type, the drawing, the descriptions and the EXPLORE check's operations follow.
 *
 * A step names what it acts on by position (the 2nd slot held, the 1st job), so a sequence
 * means the same thing on every run and shrinks cleanly. The order of the entries and their
 * weights decide what fast-check draws for a seed: append new entries at the end.
 */
import fc from 'fast-check';
import { epochMilliseconds, getOperation, type OperationId, type Schemas } from '../../spec/contract';
import { uncheckedBody } from '../../client/api';
import { availabilityRequest, example, reverseKeys as reorder, shifted } from '../checks/flows';
import { judged, readBack } from './judge';
import {
  jobRules,
  LIFECYCLE,
  slotRules,
  webhookRules,
  type JobModel,
  type Model,
  type Now,
  type SlotModel,
  type TenantModel,
} from './model';
import { Mismatch, type Session } from './session';
import { clockMoved, describeScript, headOf, nextDue } from './model/receivers';
import { FINAL, newTenant, stepIndex, type EventModel, type ReceiverScript } from './model/state';
import { NS_PER_S, secondsToReach } from './instant';

/** The draws steps share, built once for the number of tenants a run has. */
export interface Draws {
  /** Mostly the first tenant: state builds up where it is looked at. */
  tenant: fc.Arbitrary<number>;
  /** A few jobs, slots, endpoints or deliveries at a time. */
  index: fc.Arbitrary<number>;
  /** True one time in ten: refusals and cross-tenant probes season a sequence without taking it over. */
  rare: fc.Arbitrary<boolean>;
  /** Mostly a slot the tenant holds and has not used yet; now and then any slot it holds. */
  unused: fc.Arbitrary<boolean>;
  /** Where a drive takes a job: one step, CLIENT_RECEIVED, or a step before it. */
  target: fc.Arbitrary<Schemas['LifecycleStep'] | null>;
}

/** What performing a step works with: the model, the session, and the tenant the step acts as. */
export interface Scene {
  model: Model;
  session: Session;
  tenant: number;
  t: TenantModel;
  now: Now;
  /** The tenant's job at a position, if it has any. */
  job: (i: number) => JobModel | undefined;
  /** An id nobody handed out, for steps on something the tenant does not have yet. */
  unknown: string;
  jobPath: (job: { id: string } | undefined) => { job_id: string };
  /** The slot a step names: the other tenant's (which this one must not see), this one's, or none yet. */
  slotFor: (i: number, foreign?: boolean, unused?: boolean) => { id: string; model: SlotModel | undefined };
  /** The other tenant, when the run has two. */
  other: () => TenantModel | undefined;
}

/** A step's own fields; every step also names the tenant it acts as. */
type Fields = { tenant: number };

export interface StepEntry<F extends Fields> {
  /** How often fast-check draws this step, relative to the others. */
  weight: number;
  /** How fast-check draws the step's fields. */
  fields(draws: Draws): { [K in keyof F]: fc.Arbitrary<F[K]> };
  /**
   * The step in a trace, after "tenant A:". With the scene (the model as it is before the step),
   * it names what the step really acts on; without, what it was drawn to act on.
   */
  describe(step: F, at?: Scene): string;
  /** The operations performing it may call. */
  operations: readonly OperationId[];
  perform(step: F, scene: Scene): Promise<void>;
}

const step = <F extends Fields>(entry: StepEntry<F>): StepEntry<F> => entry;
const nth = (i: number) => `#${i + 1}`;
const pick = <T>(list: T[], i: number): T | undefined => (list.length === 0 ? undefined : list[i % list.length]);

/*
 * A drawn position is taken modulo what the tenant has, and a step on something it does not have
 * yet sends an id nobody handed out: in a trace, each is named as what the calls really reach.
 */
function jobName(i: number, at?: Scene): string {
  if (!at) return `job ${nth(i)}`;
  const target = at.job(i);
  return target ? `job ${nth(at.t.jobs.indexOf(target))}` : 'unknown job';
}
function foreignJobName(i: number, at?: Scene): string {
  if (!at) return `the other tenant's job ${nth(i)}`;
  const theirs = at.other()?.jobs ?? [];
  const target = pick(theirs, i);
  return target ? `the other tenant's job ${nth(theirs.indexOf(target))}` : "the other tenant's unknown job";
}
function slotName(i: number, at: Scene | undefined, how: { foreign?: boolean; unused?: boolean } = {}): string {
  if (!at) return `${how.foreign ? "the other tenant's " : how.unused ? 'unused ' : ''}slot ${nth(i)}`;
  const { id, model } = at.slotFor(i, how.foreign, how.unused);
  if (how.foreign) {
    const k = (at.other()?.slots ?? []).findIndex((x) => x.id === id);
    return k < 0 ? "the other tenant's unknown slot" : `the other tenant's slot ${nth(k)}`;
  }
  if (!model) return 'unknown slot';
  return `${how.unused && !model.usedBy ? 'unused ' : ''}slot ${nth(at.t.slots.indexOf(model))}`;
}
function endpointName(i: number, at?: Scene): string {
  if (!at) return `webhook endpoint ${nth(i)}`;
  const endpoint = pick(at.t.endpoints, i);
  return endpoint ? `webhook endpoint ${nth(at.t.endpoints.indexOf(endpoint))}` : 'unknown webhook endpoint';
}
function deliveryName(i: number, at?: Scene): string {
  if (!at) return `webhook delivery ${nth(i)}`;
  const delivery = pick(at.t.deliveries, i);
  return delivery ? `webhook delivery ${nth(at.t.deliveries.indexOf(delivery))}` : 'unknown webhook delivery';
}

/** Clock moves chosen to land on both sides of a 15-minute hold, an extension and the 24 h idempotency window. */
const CLOCK_MOVES = [1, 60, 300, 600, 870, 930, 1800, 2700, 3700, 86_400 + 600];

function order(session: Session, tenant: number, slotId: string, withCode: boolean): Schemas['CreateJobRequest'] {
  const base = example('CreateJobRequestMinimal');
  return {
    ...base,
    slot_id: slotId,
    client_reference: `EXPLORE-${session.nonce}-${tenant}-${session.trace.length}`,
    ...(withCode ? { add_delivery_code: true } : {}),
  };
}

/** Moves the tenant's clock `seconds` on, checks it moved so, and attempts what became due. */
async function advance(session: Session, tenant: number, t: TenantModel, seconds: number): Promise<void> {
  const before = session.now(tenant);
  const response = await session.call(tenant, 'advanceClock', { body: { seconds } }, 200);
  const moved = epochMilliseconds(response.json.now) - before.ms;
  if (Math.abs(moved - seconds * 1000) > before.slackMs + 1000) {
    throw new Mismatch(
      `the clock moved ${moved / 1000} s when asked to move ${seconds} s`,
      before.ms + seconds * 1000,
      response.json.now,
      response.exchange,
    );
  }
  session.readClock(tenant, response);
  const now = session.exactNow(tenant);
  if (now !== undefined) clockMoved(t, now);
}

/** Moves the clock just past each retry due, judging the log after each move, until none is due or `moves` were made. */
async function runOut(session: Session, tenant: number, t: TenantModel, moves: number): Promise<void> {
  for (let i = 0; i < moves; i++) {
    const now = session.exactNow(tenant);
    const due = nextDue(t);
    if (now === undefined || due === undefined) return;
    await advance(session, tenant, t, secondsToReach(now, due));
    await session.sync(tenant, t);
  }
}

/** A job comment through the recipient instructions, judged: an event on any job that can still take one. */
async function comment(
  { session, tenant, t, jobPath }: Pick<Scene, 'session' | 'tenant' | 't' | 'jobPath'>,
  target: JobModel | undefined,
): Promise<void> {
  await judged(
    jobRules.updateRecipientInstructions(t, target, true),
    'updateRecipientInstructions',
    session.call(tenant, 'updateRecipientInstructions', {
      pathParams: jobPath(target),
      body: { job_comment: `explore step ${session.trace.length}` },
    }),
  );
}

/** The code the driver types: right, wrong or none (a job without a code takes any). */
function typed(target: JobModel | undefined, kind: 'right' | 'wrong'): string {
  const right = target === undefined || !target.code.enabled ? '0000' : (target.code.value ?? '(unread)');
  return kind === 'right' ? right : String((Number(right) + 1) % 10_000).padStart(4, '0');
}

/** A job created on a fresh slot (availability asked for one hour) and read back; undefined if refused. */
async function freshJob({ session, tenant, t }: Scene, withCode: boolean): Promise<JobModel | undefined> {
  const held = t.slots.length;
  const window = availabilityRequest();
  await judged(
    slotRules.getAvailability(t, session.now(tenant)),
    'getAvailability',
    session.call(tenant, 'getAvailability', { body: { ...window, end: shifted(window.start, 3600_000) } }),
  );
  const slot = t.slots[held];
  if (!slot) return undefined;
  const response = await createOn({ session, tenant, t }, { id: slot.id, model: slot }, withCode);
  return response.status === 201 ? t.jobs.find((j) => j.id === response.json.job_id) : undefined;
}

/**
 * A job ordered on a slot (`model`: the slot as the model knows it, if it does), judged, and
 * read back when created; under `idempotencyKey` when one is given. The create's answer.
 */
async function createOn(
  { session, tenant, t }: Pick<Scene, 'session' | 'tenant' | 't'>,
  slot: { id: string; model: SlotModel | undefined },
  withCode: boolean,
  idempotencyKey?: string,
  now: Now = session.now(tenant),
) {
  const body = order(session, tenant, slot.id, withCode);
  const response = await judged(
    jobRules.createJob(t, { slot: slot.model, slotId: slot.id, body, withCode, idempotencyKey, reordered: false }, now),
    'createJob',
    session.call(tenant, 'createJob', {
      body,
      headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
    }),
  );
  if (response.status === 201) await readBack(session, tenant, t, response.json.job_id);
  return response;
}

/** The tenant's jobs a drive can still take to `to` (cancelling: any not final), with the code not locked. */
const reaching = (t: TenantModel, to: Schemas['LifecycleStep'] | 'CANCELLED') =>
  t.jobs.filter(
    (j) =>
      !FINAL.has(j.state) &&
      (to === 'CANCELLED' || stepIndex(j.state) < stepIndex(to)) &&
      !(j.code.enabled && j.attemptsRemaining === 0),
  );

/** The tenant's jobs a reschedule can still move. */
const movable = (t: TenantModel) =>
  t.jobs.filter((j) => !FINAL.has(j.state) && stepIndex(j.state) < stepIndex('GOING_TO_DESTINATION_STARTED'));

/** The tenant's live endpoints with a scripted receiver and a delivery pending. */
const retrying = (t: TenantModel) =>
  t.endpoints.filter((e) => e.script && e.live && e.expected.some((x) => x.delivery?.status === 'PENDING'));

/** The tenant's jobs not final, which still take recipient instructions. */
const notFinal = (t: TenantModel) => t.jobs.filter((j) => !FINAL.has(j.state));

/** The tenant's first live endpoint whose receiver never acknowledges. */
const alwaysFailing = (t: TenantModel) => t.endpoints.find((e) => e.live && e.script?.failures === Infinity);

/** Seconds past the longest wait of the spec's default schedule (600 s, +10 %). */
const PAST_EVERY_WAIT = 700;

/** The job at a position among those with a code that can still be changed and attempts left, if any. */
function codeNotFrozen(at: Scene, i: number): JobModel | undefined {
  const changeable = at.t.jobs.filter(
    (j) =>
      j.code.enabled &&
      j.attemptsRemaining !== 0 &&
      !FINAL.has(j.state) &&
      stepIndex(j.state) < stepIndex('DELIVERING_STARTED'),
  );
  return pick(changeable, i);
}

/** The state a listing asks for when it names a job's: the job's now, or CREATED when there is no job. */
function stateOf(i: number, at?: Scene): string {
  if (!at) return `the state of job ${nth(i)}`;
  const target = at.job(i);
  return target ? `${target.state} (the state of ${jobName(i, at)})` : 'CREATED (there is no job yet)';
}

/** A scripted delivery of the tenant, in one of three conditions, at a position. */
function scriptedIn(t: TenantModel, condition: 'waiting' | 'head' | 'finished') {
  return t.endpoints
    .filter((e) => e.script && e.live)
    .flatMap((e) => e.expected.map((x) => ({ endpoint: e, event: x })))
    .filter(({ endpoint, event }) => {
      const d = event.delivery;
      if (!d?.id) return false;
      if (condition === 'finished') return d.status !== 'PENDING';
      if (d.status !== 'PENDING') return false;
      return condition === 'waiting' ? d.waiting : headOf(endpoint, event.jobId) === event;
    });
}

const ENTRIES = {
  availability: step({
    weight: 4,
    fields: ({ tenant }) => ({ tenant }),
    describe: () => 'ask availability',
    operations: ['getAvailability'],
    async perform(_s, { session, tenant, t, now }) {
      // Eight hours in hourly slots: eight fresh slots per ask.
      const window = availabilityRequest();
      const body = { ...window, end: shifted(window.start, 8 * 3600_000) };
      await judged(
        slotRules.getAvailability(t, now),
        'getAvailability',
        session.call(tenant, 'getAvailability', { body }),
      );
    },
  }),
  slotProbe: step({
    weight: 2,
    fields: ({ tenant, index, unused, rare }) => ({
      probe: fc.constantFrom('checkSlot' as const, 'extendSlot' as const),
      tenant,
      slot: index,
      unused,
      foreign: rare,
    }),
    describe: (s, at) =>
      `${s.probe === 'checkSlot' ? 'check' : 'extend'} ${slotName(s.slot, at, { foreign: s.foreign, unused: s.unused })}`,
    operations: ['checkSlot', 'extendSlot'],
    async perform(s, { session, tenant, now, slotFor }) {
      const slot = slotFor(s.slot, s.foreign, s.unused);
      await judged(
        slotRules[s.probe](slot.model, now),
        s.probe,
        session.call(tenant, s.probe, { pathParams: { slot_id: slot.id } }),
      );
    },
  }),
  createJob: step({
    weight: 10,
    fields: ({ tenant, index, unused, rare }) => ({
      tenant,
      slot: index,
      unused,
      code: fc.boolean(),
      idempotent: fc.boolean(),
      foreign: rare,
    }),
    describe: (s, at) =>
      `create a job on ${slotName(s.slot, at, { foreign: s.foreign, unused: s.unused })}${s.code ? ' with a delivery code' : ''}${s.idempotent ? ' under an Idempotency-Key' : ''}`,
    operations: ['createJob', 'getJob'],
    async perform(s, { session, tenant, t, now, slotFor }) {
      const idempotencyKey = s.idempotent ? `explore-${session.nonce}-${session.trace.length}` : undefined;
      await createOn({ session, tenant, t }, slotFor(s.slot, s.foreign, s.unused), s.code, idempotencyKey, now);
    },
  }),
  replay: step({
    weight: 2,
    fields: ({ tenant, index }) => ({
      tenant,
      key: index,
      body: fc.constantFrom('same' as const, 'reordered' as const, 'other' as const),
    }),
    describe: (s, at) =>
      `send Idempotency-Key ${nth(at ? s.key % at.t.idempotency.size : s.key)} again with ${s.body === 'same' ? 'the same body' : s.body === 'reordered' ? 'the same body, keys reordered' : 'another body'}`,
    operations: ['createJob'],
    async perform(s, { session, tenant, t, now }) {
      const [key, stored] = [...t.idempotency.entries()][s.key % t.idempotency.size];
      const body =
        s.body === 'same'
          ? stored.body
          : s.body === 'reordered'
            ? reorder(stored.body)
            : { ...stored.body, client_reference: `${stored.body.client_reference}-other` };
      await judged(
        jobRules.createJob(
          t,
          {
            slot: t.slots.find((x) => x.id === body.slot_id),
            slotId: body.slot_id,
            body,
            withCode: body.add_delivery_code === true,
            idempotencyKey: key,
            reordered: s.body === 'reordered',
          },
          now,
        ),
        'createJob',
        session.call(tenant, 'createJob', { body, headers: { 'idempotency-key': key } }),
      );
    },
  }),
  getJob: step({
    weight: 2,
    fields: ({ tenant, index, rare }) => ({ tenant, job: index, foreign: rare }),
    describe: (s, at) => `read ${s.foreign ? foreignJobName(s.job, at) : jobName(s.job, at)}`,
    operations: ['getJob'],
    async perform(s, { session, tenant, t, jobPath, other }) {
      const target = pick(s.foreign ? other()!.jobs : t.jobs, s.job);
      await judged(
        jobRules.getJob(t, s.foreign ? undefined : target),
        'getJob',
        session.call(tenant, 'getJob', { pathParams: jobPath(target) }),
      );
    },
  }),
  cancel: step({
    weight: 2,
    fields: ({ tenant, index, rare }) => ({ tenant, job: index, invalid: rare }),
    describe: (s, at) => `cancel ${jobName(s.job, at)}${s.invalid ? ' with a reason that is not text' : ''}`,
    operations: ['cancelJob'],
    async perform(s, { session, tenant, t, job, jobPath }) {
      const reason = s.invalid ? 42 : `explore step ${session.trace.length}`;
      const body = typeof reason === 'string' ? { reason } : uncheckedBody({ reason });
      await judged(
        jobRules.cancelJob(t, job(s.job), reason),
        'cancelJob',
        session.call(tenant, 'cancelJob', { pathParams: jobPath(job(s.job)), body }),
      );
    },
  }),
  reschedule: step({
    weight: 2,
    fields: ({ tenant, index, unused, rare }) => ({ tenant, job: index, slot: index, unused, invalid: rare }),
    describe: (s, at) =>
      `reschedule ${jobName(s.job, at)} onto ${slotName(s.slot, at, { unused: s.unused })}${s.invalid ? ' without a reason' : ''}`,
    operations: ['rescheduleJob'],
    async perform(s, { session, tenant, t, now, job, jobPath, slotFor }) {
      const slot = slotFor(s.slot, false, s.unused);
      const body = s.invalid ? uncheckedBody({ slot_id: slot.id }) : { slot_id: slot.id, reason: 'explore' };
      await judged(
        jobRules.rescheduleJob(t, job(s.job), slot.model, !s.invalid, now),
        'rescheduleJob',
        session.call(tenant, 'rescheduleJob', { pathParams: jobPath(job(s.job)), body }),
      );
    },
  }),
  updateCode: step({
    weight: 3,
    fields: ({ tenant, index }) => ({
      tenant,
      job: index,
      code: fc.oneof(fc.stringMatching(/^[0-9]{4}$/), fc.constantFrom('123', '12a4', '00000')),
    }),
    describe: (s, at) => `set ${jobName(s.job, at)}'s delivery code to ${JSON.stringify(s.code)}`,
    operations: ['updateDeliveryCode'],
    async perform(s, { session, tenant, job, jobPath }) {
      await judged(
        jobRules.updateDeliveryCode(job(s.job), s.code),
        'updateDeliveryCode',
        session.call(tenant, 'updateDeliveryCode', {
          pathParams: jobPath(job(s.job)),
          body: { delivery_code: s.code },
        }),
      );
    },
  }),
  payment: step({
    weight: 2,
    fields: ({ tenant, index }) => ({
      tenant,
      job: index,
      change: fc.constantFrom('same' as const, 'prices' as const, 'invalid' as const),
    }),
    describe: (s, at) =>
      `replace ${jobName(s.job, at)}'s payment info (${s.change === 'same' ? 'same prices' : s.change === 'prices' ? 'new prices' : 'order_value not a number'})`,
    operations: ['updatePaymentInfo'],
    async perform(s, { session, tenant, t, job, jobPath }) {
      const target = job(s.job);
      const base = example('CreateJobRequestMinimal').payment_info;
      const current = target?.prices ?? base.prices;
      const prices = s.change === 'same' ? current : { ...current, order_value: Number(current.order_value) + 1 };
      const body: Schemas['PaymentInfo'] = { ...base, prices };
      const sent =
        s.change === 'invalid' ? uncheckedBody({ ...base, prices: { ...current, order_value: 'a lot' } }) : body;
      await judged(
        jobRules.updatePaymentInfo(t, target, body, s.change !== 'invalid'),
        'updatePaymentInfo',
        session.call(tenant, 'updatePaymentInfo', { pathParams: jobPath(target), body: sent }),
      );
    },
  }),
  externalData: step({
    weight: 1,
    fields: ({ tenant, index, rare }) => ({ tenant, job: index, invalid: rare }),
    describe: (s, at) => `replace ${jobName(s.job, at)}'s external data${s.invalid ? ' with a non-string value' : ''}`,
    operations: ['replaceExternalData'],
    async perform(s, { session, tenant, t, job, jobPath }) {
      const data = s.invalid ? { webhook: { step: 1 } } : { webhook: { step: String(session.trace.length) } };
      const body = s.invalid ? uncheckedBody(data) : { webhook: { step: String(session.trace.length) } };
      await judged(
        jobRules.replaceExternalData(t, job(s.job), data, !s.invalid),
        'replaceExternalData',
        session.call(tenant, 'replaceExternalData', { pathParams: jobPath(job(s.job)), body }),
      );
    },
  }),
  instructions: step({
    weight: 2,
    fields: ({ tenant, index, rare }) => ({ tenant, job: index, invalid: rare }),
    describe: (s, at) =>
      `change ${jobName(s.job, at)}'s recipient instructions${s.invalid ? ' with an empty body' : ''}`,
    operations: ['updateRecipientInstructions'],
    async perform(s, { session, tenant, t, job, jobPath }) {
      const body = s.invalid ? uncheckedBody({}) : { job_comment: `explore step ${session.trace.length}` };
      await judged(
        jobRules.updateRecipientInstructions(t, job(s.job), !s.invalid),
        'updateRecipientInstructions',
        session.call(tenant, 'updateRecipientInstructions', { pathParams: jobPath(job(s.job)), body }),
      );
    },
  }),
  advance: step({
    weight: 8,
    fields: ({ tenant, index, target }) => ({
      tenant,
      job: index,
      to: target,
      code: fc.constantFrom(
        'right' as const,
        'wrong' as const,
        'wrong' as const,
        'malformed' as const,
        'none' as const,
      ),
    }),
    describe: (s, at) =>
      `drive ${jobName(s.job, at)} ${s.to === null ? 'one step' : `to ${s.to}`}, ${s.code === 'none' ? 'no code' : `${s.code} code`}`,
    operations: ['advanceJob'],
    async perform(s, { session, tenant, t, job, jobPath }) {
      const target = job(s.job);
      // No code enabled: any code will do. Enabled but never read back: the driver types what is no code.
      const right = target === undefined || !target.code.enabled ? '0000' : (target.code.value ?? '(unread)');
      const code = {
        right,
        wrong: String((Number(right) + 1) % 10_000).padStart(4, '0'),
        malformed: '12a',
        none: undefined,
      }[s.code];
      const body = { ...(s.to === null ? {} : { to: s.to }), ...(code === undefined ? {} : { delivery_code: code }) };
      await judged(
        jobRules.advanceJob(t, target, s.to ?? undefined, code),
        'advanceJob',
        session.call(tenant, 'advanceJob', { pathParams: jobPath(target), body }),
      );
    },
  }),
  clock: step({
    weight: 3,
    fields: ({ tenant }) => ({ tenant, seconds: fc.constantFrom(...CLOCK_MOVES) }),
    describe: (s) => `advance the clock ${s.seconds} s`,
    operations: ['advanceClock'],
    async perform(s, { session, tenant, t }) {
      await advance(session, tenant, t, s.seconds);
    },
  }),
  addEndpoint: step({
    weight: 2,
    fields: ({ tenant, rare }) => ({ tenant, invalid: rare }),
    describe: (s) => `add a webhook endpoint${s.invalid ? ' with an ftp: URL' : ''}`,
    operations: ['createWebhookEndpoint'],
    async perform(s, { session, tenant, t }) {
      const inbox = session.openInbox();
      const { url, secret } = session.inbox(inbox);
      await judged(
        webhookRules.createWebhookEndpoint(t, inbox, !s.invalid),
        'createWebhookEndpoint',
        session.call(tenant, 'createWebhookEndpoint', {
          body: { url: s.invalid ? 'ftp://127.0.0.1/hooks' : url, secret },
        }),
      );
    },
  }),
  deleteEndpoint: step({
    weight: 1,
    fields: ({ tenant, index }) => ({ tenant, endpoint: index }),
    describe: (s, at) => `delete ${endpointName(s.endpoint, at)}`,
    operations: ['deleteWebhookEndpoint'],
    async perform(s, { session, tenant, t, unknown }) {
      const endpoint = pick(t.endpoints, s.endpoint);
      // What was due before the deletion must have arrived: pending deliveries are dead-lettered by it.
      if (endpoint?.live) await session.settle(t, endpoint);
      await judged(
        webhookRules.deleteWebhookEndpoint(t, endpoint),
        'deleteWebhookEndpoint',
        session.call(tenant, 'deleteWebhookEndpoint', { pathParams: { endpoint_id: endpoint?.id ?? unknown } }),
      );
    },
  }),
  listDeliveries: step({
    weight: 2,
    fields: ({ tenant, index, rare }) => ({ tenant, job: fc.option(index, { nil: null }), invalid: rare }),
    describe: (s, at) =>
      `list webhook deliveries${s.job === null ? '' : ` of ${jobName(s.job, at)}`}${s.invalid ? ' with status=UNKNOWN' : ''}`,
    operations: ['listWebhookDeliveries'],
    async perform(s, { session, tenant, t, job }) {
      const target = s.job === null ? undefined : job(s.job);
      const query = { job_id: target?.id, limit: 1000 };
      // A status outside the enum is a query the types refuse: sent untyped.
      await judged(
        webhookRules.listWebhookDeliveries(t, target, !s.invalid),
        'listWebhookDeliveries',
        s.invalid
          ? session.send(tenant, getOperation('listWebhookDeliveries'), { query: { ...query, status: 'UNKNOWN' } })
          : session.call(tenant, 'listWebhookDeliveries', { query }),
      );
    },
  }),
  retryDelivery: step({
    weight: 1,
    fields: ({ tenant, index }) => ({ tenant, delivery: index }),
    describe: (s, at) => `retry ${deliveryName(s.delivery, at)}`,
    operations: ['retryWebhookDelivery'],
    async perform(s, { session, tenant, t, unknown }) {
      const delivery = pick(t.deliveries, s.delivery);
      await judged(
        webhookRules.retryWebhookDelivery(t, delivery),
        'retryWebhookDelivery',
        session.call(tenant, 'retryWebhookDelivery', { pathParams: { delivery_id: delivery?.id ?? unknown } }),
      );
    },
  }),
  listJobs: step({
    weight: 2,
    fields: ({ tenant, index, rare }) => ({
      tenant,
      state: fc.oneof(
        fc.constant(null),
        fc.constantFrom(...LIFECYCLE, 'CANCELLED' as const),
        fc.record({ ofJob: index }),
      ),
      limit: fc.constantFrom(1, 2, 1000),
      invalid: rare,
    }),
    describe: (s, at) =>
      `list jobs${s.state === null ? '' : typeof s.state === 'string' ? ` in ${s.state}` : ` in ${stateOf(s.state.ofJob, at)}`}, limit ${s.invalid ? 0 : s.limit}`,
    operations: ['listJobs'],
    async perform(s, { session, tenant, t, job }) {
      const state =
        s.state === null ? undefined : typeof s.state === 'string' ? s.state : (job(s.state.ofJob)?.state ?? 'CREATED');
      const query = { limit: s.invalid ? 0 : s.limit, ...(state === undefined ? {} : { state }) };
      await judged(
        jobRules.listJobs(t, state, s.limit, !s.invalid),
        'listJobs',
        session.call(tenant, 'listJobs', { query }),
      );
    },
  }),
  settleWebhooks: step({
    weight: 1,
    fields: ({ tenant }) => ({ tenant }),
    describe: () => 'wait for the webhooks due',
    operations: [],
    async perform(_s, { session, t }) {
      await session.settle(t);
    },
  }),
  failingEndpoint: step({
    weight: 3,
    fields: ({ tenant }) => ({
      tenant,
      failures: fc.constantFrom(1, 2, 0, 3, Infinity),
      fail: fc.constantFrom(500 as const, 503 as const, 'redirect' as const, 'no answer' as const),
      ok: fc.constantFrom(200 as const, 202 as const, 204 as const),
    }),
    describe: (s) => `add a webhook endpoint whose receiver ${describeScript(s)}`,
    operations: ['createWebhookEndpoint'],
    async perform(s, { session, tenant, t }) {
      // Retries are judged on a frozen clock only: where it runs, real time would reach due times unseen.
      const script: ReceiverScript | undefined = session.frozen(tenant)
        ? { failures: s.failures, fail: s.fail, ok: s.ok }
        : undefined;
      const inbox = session.openInbox(script);
      const { url, secret } = session.inbox(inbox);
      await judged(
        webhookRules.createWebhookEndpoint(t, inbox, true, script),
        'createWebhookEndpoint',
        session.call(tenant, 'createWebhookEndpoint', { body: { url, secret } }),
      );
    },
  }),
  dueClock: step({
    weight: 4,
    fields: ({ tenant }) => ({ tenant, side: fc.constantFrom('after' as const, 'before' as const) }),
    describe: (s) => `advance the clock to just ${s.side} the next retry due`,
    operations: ['advanceClock'],
    async perform(s, { session, tenant, t }) {
      const now = session.exactNow(tenant);
      const due = nextDue(t);
      if (now === undefined || due === undefined) return;
      const seconds = secondsToReach(now, due) - (s.side === 'before' ? 1 : 0);
      if (seconds < 1 || (s.side === 'before' && now + BigInt(seconds) * NS_PER_S >= due)) return;
      await advance(session, tenant, t, seconds);
    },
  }),
  runOutRetries: step({
    weight: 2,
    fields: ({ tenant }) => ({ tenant }),
    describe: () => 'advance the clock just past each retry due, until none is (at most 8 moves)',
    operations: ['advanceClock', 'listWebhookDeliveries'],
    async perform(_s, { session, tenant, t }) {
      await runOut(session, tenant, t, 8);
    },
  }),
  retryScripted: step({
    weight: 2,
    fields: ({ tenant, index }) => ({
      tenant,
      delivery: index,
      condition: fc.constantFrom('head' as const, 'finished' as const, 'waiting' as const),
    }),
    describe: (s, at) => {
      const those = `${s.condition === 'head' ? 'retrying at the head of their queue' : s.condition === 'waiting' ? 'waiting behind another' : 'finished'}, to a scripted receiver`;
      if (!at) return `retry delivery ${nth(s.delivery)} of those ${those}`;
      const target = pick(scriptedIn(at.t, s.condition), s.delivery);
      if (!target) return `retry a delivery ${those}: there is none, nothing sent`;
      const job = at.t.jobs.findIndex((j) => j.id === target.event.jobId);
      return `retry the ${target.event.type} delivery of ${job < 0 ? 'unknown job' : `job ${nth(job)}`} to ${endpointName(at.t.endpoints.indexOf(target.endpoint), at)}, ${those}`;
    },
    operations: ['retryWebhookDelivery'],
    async perform(s, { session, tenant, t }) {
      const target = pick(scriptedIn(t, s.condition), s.delivery);
      if (!target) return;
      const delivery = { id: target.event.delivery!.id!, endpointId: target.endpoint.id };
      await judged(
        webhookRules.retryWebhookDelivery(t, delivery),
        'retryWebhookDelivery',
        session.call(tenant, 'retryWebhookDelivery', { pathParams: { delivery_id: delivery.id } }),
      );
    },
  }),
  extendThenCreate: step({
    weight: 2,
    fields: ({ tenant, index }) => ({
      tenant,
      slot: index,
      past: fc.constantFrom('original' as const, 'extended' as const),
      code: fc.boolean(),
    }),
    describe: (s, at) =>
      `extend ${slotName(s.slot, at, { unused: true })}, move the clock past its ${s.past === 'original' ? 'original' : 'extended'} expiry, then create a job on it${s.code ? ' with a delivery code' : ''}`,
    operations: ['extendSlot', 'advanceClock', 'createJob', 'getJob'],
    async perform(s, { session, tenant, t, slotFor }) {
      const slot = slotFor(s.slot, false, true);
      await judged(
        slotRules.extendSlot(slot.model, session.now(tenant)),
        'extendSlot',
        session.call(tenant, 'extendSlot', { pathParams: { slot_id: slot.id } }),
      );
      if (!slot.model) return;
      const target = s.past === 'original' ? slot.model.originalExpiresAt : slot.model.expiresAt;
      const now = session.now(tenant);
      if (target >= now.ms) await advance(session, tenant, t, Math.max(1, Math.ceil((target - now.ms) / 1000) + 1));
      await createOn({ session, tenant, t }, slot, s.code);
    },
  }),
  codeThenEvent: step({
    weight: 2,
    fields: ({ tenant, index }) => ({ tenant, job: index, code: fc.stringMatching(/^[0-9]{4}$/) }),
    describe: (s, at) =>
      `set ${jobName(s.job, at)}'s delivery code to ${JSON.stringify(s.code)}, change its recipient instructions, and read the code in the webhook`,
    operations: ['updateDeliveryCode', 'updateRecipientInstructions'],
    async perform(s, { session, tenant, t, job, jobPath }) {
      await judged(
        jobRules.updateDeliveryCode(job(s.job), s.code),
        'updateDeliveryCode',
        session.call(tenant, 'updateDeliveryCode', {
          pathParams: jobPath(job(s.job)),
          body: { delivery_code: s.code },
        }),
      );
      await comment({ session, tenant, t, jobPath }, job(s.job));
      await session.settle(t);
    },
  }),
  lockedCodeUpdate: step({
    weight: 1,
    fields: ({ tenant, index }) => ({ tenant, job: index, code: fc.stringMatching(/^[0-9]{4}$/) }),
    describe: (s, at) =>
      `drive ${jobName(s.job, at)} to DELIVERING_STARTED, lock its code with wrong ones, set the code to ${JSON.stringify(s.code)}, then deliver with it`,
    operations: ['advanceJob', 'updateDeliveryCode'],
    async perform(s, { session, tenant, t, job, jobPath }) {
      const target = job(s.job);
      const drive = (to: Schemas['LifecycleStep'], code: string | undefined) =>
        judged(
          jobRules.advanceJob(t, target, to, code),
          'advanceJob',
          session.call(tenant, 'advanceJob', {
            pathParams: jobPath(target),
            body: { to, ...(code === undefined ? {} : { delivery_code: code }) },
          }),
        );
      if (target && LIFECYCLE.indexOf(target.state) < LIFECYCLE.indexOf('DELIVERING_STARTED'))
        await drive('DELIVERING_STARTED', undefined);
      for (let i = 0; i < 8 && target?.code.enabled && target.state === 'DELIVERING_STARTED'; i++) {
        await drive('CLIENT_RECEIVED', typed(target, 'wrong'));
        if (target.attemptsRemaining === 0) break;
      }
      await judged(
        jobRules.updateDeliveryCode(target, s.code),
        'updateDeliveryCode',
        session.call(tenant, 'updateDeliveryCode', { pathParams: jobPath(target), body: { delivery_code: s.code } }),
      );
      await drive('CLIENT_RECEIVED', typed(target, 'right'));
    },
  }),
  deleteMidRetry: step({
    weight: 1,
    fields: ({ tenant, index }) => ({ tenant, endpoint: index }),
    describe: (s, at) => {
      if (!at) return `delete webhook endpoint ${nth(s.endpoint)} of those with a delivery being retried`;
      const endpoint = pick(retrying(at.t), s.endpoint);
      return endpoint
        ? `delete ${endpointName(at.t.endpoints.indexOf(endpoint), at)}, which has a delivery being retried`
        : 'delete a webhook endpoint with a delivery being retried: there is none, nothing sent';
    },
    operations: ['deleteWebhookEndpoint'],
    async perform(s, { session, tenant, t }) {
      const endpoint = pick(retrying(t), s.endpoint);
      if (!endpoint) return;
      await session.settle(t, endpoint);
      await judged(
        webhookRules.deleteWebhookEndpoint(t, endpoint),
        'deleteWebhookEndpoint',
        session.call(tenant, 'deleteWebhookEndpoint', { pathParams: { endpoint_id: endpoint.id } }),
      );
    },
  }),
  resetPending: step({
    weight: 1,
    fields: ({ tenant }) => ({ tenant }),
    describe: () => 'reset the tenant with deliveries pending and its clock frozen, then freeze it again',
    operations: ['resetTenant', 'freezeClock'],
    async perform(_s, { session, tenant, t }) {
      if (t.shared || !session.frozen(tenant)) return;
      await session.settle(t);
      const retired = t.endpoints
        .filter((e) => e.script)
        .map((e) => ({
          inbox: e.inbox,
          requests: new Map(e.expected.map((x) => [x.delivery?.eventId ?? '', x.delivery?.requests ?? 0] as const)),
        }));
      await session.call(tenant, 'resetTenant', {}, 200);
      Object.assign(t, newTenant(false, 0), { schedule: t.schedule, retired: [...t.retired, ...retired] });
      session.readClock(tenant, await session.call(tenant, 'freezeClock', {}, 200), true);
    },
  }),
  listAfterMoves: step({
    weight: 2,
    fields: ({ tenant, index }) => ({ tenant, job: index, other: index, limit: fc.constantFrom(1, 2) }),
    describe: (s, at) =>
      `drive ${jobName(s.job, at)}, ${jobName(s.other, at)} and ${jobName(s.job, at)} one step each, then list jobs in ${at && !at.job(s.job) ? 'CREATED' : `${jobName(s.job, at)}'s state`}, limit ${s.limit}`,
    operations: ['advanceJob', 'listJobs'],
    async perform(s, { session, tenant, t, job, jobPath }) {
      for (const target of [job(s.job), job(s.other), job(s.job)]) {
        const code = target?.code.enabled ? typed(target, 'right') : undefined;
        await judged(
          jobRules.advanceJob(t, target, undefined, code),
          'advanceJob',
          session.call(tenant, 'advanceJob', {
            pathParams: jobPath(target),
            body: code === undefined ? {} : { delivery_code: code },
          }),
        );
      }
      const state = job(s.job)?.state ?? 'CREATED';
      await judged(
        jobRules.listJobs(t, state, s.limit, true),
        'listJobs',
        session.call(tenant, 'listJobs', { query: { limit: s.limit, state } }),
      );
    },
  }),
  rescheduleThenReuse: step({
    weight: 2,
    fields: ({ tenant, index }) => ({ tenant, job: index }),
    describe: (s, at) => {
      if (!at)
        return `ask availability, reschedule job ${nth(s.job)} of those not yet on the road (none: job ${nth(s.job)}, refused, then a job created on a fresh slot) onto a new slot, then create a job on its old slot`;
      const target = pick(movable(at.t), s.job);
      const refused = at.job(s.job);
      return `ask availability, reschedule ${target ? `job ${nth(at.t.jobs.indexOf(target))}` : `${refused ? `${jobName(s.job, at)} (refused), then ` : ''}a job created on a fresh slot`} onto a new slot, then create a job on its old slot`;
    },
    operations: ['getAvailability', 'rescheduleJob', 'createJob', 'getJob'],
    async perform(s, scene) {
      const { session, tenant, t, jobPath } = scene;
      // Fresh slots: an unused one drawn from a long sequence has mostly expired, and the move would be refused.
      let target = pick(movable(t), s.job);
      const held = t.slots.length;
      const window = availabilityRequest();
      await judged(
        slotRules.getAvailability(t, session.now(tenant)),
        'getAvailability',
        session.call(tenant, 'getAvailability', {
          body: { ...window, end: shifted(window.start, (target ? 1 : 3) * 3600_000) },
        }),
      );
      const fresh = () => t.slots.find((x, i) => i >= held && !x.usedBy);
      const move = (job: JobModel | undefined, slot: SlotModel | undefined) =>
        judged(
          jobRules.rescheduleJob(t, job, slot, true, session.now(tenant)),
          'rescheduleJob',
          session.call(tenant, 'rescheduleJob', {
            pathParams: jobPath(job),
            body: { slot_id: slot?.id ?? scene.unknown, reason: 'explore' },
          }),
        );
      if (!target) {
        // No job can move any more: the one at the position is refused the move, then a job is
        // created on a fresh slot and moved to another.
        if (scene.job(s.job)) await move(scene.job(s.job), fresh());
        const first = fresh();
        if (!first) return;
        const created = await createOn({ session, tenant, t }, { id: first.id, model: first }, false);
        if (created.status !== 201) return;
        target = t.jobs.find((j) => j.id === created.json.job_id);
      }
      const old = target && t.slots.find((x) => x.id === target.slotId);
      await move(target, fresh());
      if (!old) return;
      await createOn({ session, tenant, t }, { id: old.id, model: old }, false);
    },
  }),
  cancelThenReplay: step({
    weight: 2,
    fields: ({ tenant, index }) => ({ tenant, slot: index, code: fc.boolean() }),
    describe: (s, at) =>
      `create a job on ${slotName(s.slot, at, { unused: true })} under a new Idempotency-Key, cancel it, then send the key again with the same body`,
    operations: ['createJob', 'getJob', 'cancelJob'],
    async perform(s, { session, tenant, t, slotFor }) {
      const slot = slotFor(s.slot, false, true);
      const body = order(session, tenant, slot.id, s.code);
      const idempotencyKey = `explore-${session.nonce}-${session.trace.length}`;
      // The rule is read at each call: the replay is judged against the model as the cancel left it.
      const create = () =>
        judged(
          jobRules.createJob(
            t,
            { slot: slot.model, slotId: slot.id, body, withCode: s.code, idempotencyKey, reordered: false },
            session.now(tenant),
          ),
          'createJob',
          session.call(tenant, 'createJob', { body, headers: { 'idempotency-key': idempotencyKey } }),
        );
      const response = await create();
      if (response.status !== 201) return;
      await readBack(session, tenant, t, response.json.job_id);
      await judged(
        jobRules.cancelJob(
          t,
          t.jobs.find((j) => j.id === response.json.job_id),
          'explore',
        ),
        'cancelJob',
        session.call(tenant, 'cancelJob', {
          pathParams: { job_id: response.json.job_id },
          body: { reason: 'explore' },
        }),
      );
      await create();
    },
  }),
  replaceEndpoint: step({
    weight: 1,
    fields: ({ tenant, index }) => ({ tenant, endpoint: index, job: index }),
    describe: (s, at) =>
      `delete ${endpointName(s.endpoint, at)}, add another, then change ${jobName(s.job, at)}'s recipient instructions and wait for the webhooks`,
    operations: ['deleteWebhookEndpoint', 'createWebhookEndpoint', 'updateRecipientInstructions'],
    async perform(s, { session, tenant, t, job, jobPath, unknown }) {
      const endpoint = pick(t.endpoints, s.endpoint);
      if (endpoint?.live) await session.settle(t, endpoint);
      await judged(
        webhookRules.deleteWebhookEndpoint(t, endpoint),
        'deleteWebhookEndpoint',
        session.call(tenant, 'deleteWebhookEndpoint', { pathParams: { endpoint_id: endpoint?.id ?? unknown } }),
      );
      const inbox = session.openInbox();
      const { url, secret } = session.inbox(inbox);
      await judged(
        webhookRules.createWebhookEndpoint(t, inbox, true),
        'createWebhookEndpoint',
        session.call(tenant, 'createWebhookEndpoint', { body: { url, secret } }),
      );
      await comment({ session, tenant, t, jobPath }, job(s.job));
      await session.settle(t);
    },
  }),
  driveThenAmend: step({
    weight: 2,
    fields: ({ tenant, index }) => ({
      tenant,
      job: index,
      to: fc.constantFrom('GOING_TO_DESTINATION_STARTED' as const, 'CLIENT_RECEIVED' as const, 'CANCELLED' as const),
    }),
    describe: (s, at) => {
      const target = at && pick(reaching(at.t, s.to), s.job);
      const job = !at
        ? `job ${nth(s.job)} of those that can still get there (none: a new one on a fresh slot)`
        : target
          ? `job ${nth(at.t.jobs.indexOf(target))}`
          : 'a job created on a fresh slot';
      return `take ${job}: replace its payment info with the same prices, ${s.to === 'CANCELLED' ? 'cancel it' : `drive it to ${s.to}`}, then reschedule it, change its recipient instructions, drive it one step and wait for the webhooks`;
    },
    operations: [
      'getAvailability',
      'createJob',
      'getJob',
      'updatePaymentInfo',
      'advanceJob',
      'cancelJob',
      'rescheduleJob',
      'updateRecipientInstructions',
    ],
    async perform(s, scene) {
      const { session, tenant, t, jobPath, slotFor } = scene;
      // A job that cannot get where the step drives it would only be refused: when none can, one is made.
      const target = pick(reaching(t, s.to), s.job) ?? (await freshJob(scene, false));
      if (!target) return;
      const drive = async (to: Schemas['LifecycleStep'] | undefined) => {
        const code = target.code.enabled ? typed(target, 'right') : undefined;
        await judged(
          jobRules.advanceJob(t, target, to, code),
          'advanceJob',
          session.call(tenant, 'advanceJob', {
            pathParams: jobPath(target),
            body: { ...(to === undefined ? {} : { to }), ...(code === undefined ? {} : { delivery_code: code }) },
          }),
        );
      };
      // The same prices again: a payment update that changes nothing but itself, one event only.
      const payment: Schemas['PaymentInfo'] = {
        ...example('CreateJobRequestMinimal').payment_info,
        prices: target.prices,
      };
      await judged(
        jobRules.updatePaymentInfo(t, target, payment, true),
        'updatePaymentInfo',
        session.call(tenant, 'updatePaymentInfo', { pathParams: jobPath(target), body: payment }),
      );
      if (s.to === 'CANCELLED')
        await judged(
          jobRules.cancelJob(t, target, 'explore'),
          'cancelJob',
          session.call(tenant, 'cancelJob', { pathParams: jobPath(target), body: { reason: 'explore' } }),
        );
      else await drive(s.to);
      const slot = slotFor(0, false, true);
      await judged(
        jobRules.rescheduleJob(t, target, slot.model, true, session.now(tenant)),
        'rescheduleJob',
        session.call(tenant, 'rescheduleJob', {
          pathParams: jobPath(target),
          body: { slot_id: slot.id, reason: 'explore' },
        }),
      );
      await comment({ session, tenant, t, jobPath }, target);
      await drive(undefined);
      await session.settle(t);
    },
  }),
  failingChain: step({
    weight: 2,
    fields: ({ tenant, index }) => ({
      tenant,
      job: index,
      fail: fc.constantFrom(500 as const, 503 as const, 'redirect' as const, 'no answer' as const),
    }),
    describe: (s, at) => {
      const target = at ? pick(notFinal(at.t), s.job) : undefined;
      const job = !at
        ? `job ${nth(s.job)} of those not final`
        : target
          ? `job ${nth(at.t.jobs.indexOf(target))}`
          : 'a job not final';
      const endpoint = at && alwaysFailing(at.t);
      const where = endpoint
        ? `${endpointName(at.t.endpoints.indexOf(endpoint), at)}, whose receiver ${describeScript(endpoint.script!)}`
        : `a new webhook endpoint whose receiver ${describeScript({ failures: Infinity, fail: s.fail, ok: 200 })}`;
      return `at ${where}: change ${job}'s recipient instructions twice, retry the waiting delivery by hand, run out the retries, retry the dead-lettered delivery by hand twice, then advance the clock ${PAST_EVERY_WAIT} s`;
    },
    operations: [
      'createWebhookEndpoint',
      'updateRecipientInstructions',
      'retryWebhookDelivery',
      'advanceClock',
      'listWebhookDeliveries',
    ],
    async perform(s, { session, tenant, t }) {
      // Receivers follow a script on a frozen clock only.
      const target = pick(notFinal(t), s.job);
      if (!session.frozen(tenant) || !target) return;
      let endpoint = alwaysFailing(t);
      if (!endpoint) {
        if (t.endpoints.filter((e) => e.live).length + t.foreignEndpoints >= 3) return;
        const script: ReceiverScript = { failures: Infinity, fail: s.fail, ok: 200 };
        const inbox = session.openInbox(script);
        const { url, secret } = session.inbox(inbox);
        await judged(
          webhookRules.createWebhookEndpoint(t, inbox, true, script),
          'createWebhookEndpoint',
          session.call(tenant, 'createWebhookEndpoint', { body: { url, secret } }),
        );
        endpoint = t.endpoints.find((e) => e.inbox === inbox);
      }
      if (!endpoint) return;
      const at = endpoint;
      for (let i = 0; i < 2; i++)
        await judged(
          jobRules.updateRecipientInstructions(t, target, true),
          'updateRecipientInstructions',
          session.call(tenant, 'updateRecipientInstructions', {
            pathParams: { job_id: target.id },
            body: { job_comment: `explore step ${session.trace.length} event ${i + 1}` },
          }),
        );
      await session.sync(tenant, t);
      const mine = () => at.expected.filter((x) => x.jobId === target.id && x.delivery?.id !== undefined);
      const retry = async (event: EventModel) => {
        const delivery = { id: event.delivery!.id!, endpointId: at.id };
        await judged(
          webhookRules.retryWebhookDelivery(t, delivery),
          'retryWebhookDelivery',
          session.call(tenant, 'retryWebhookDelivery', { pathParams: { delivery_id: delivery.id } }),
        );
        await session.sync(tenant, t);
      };
      const waiting = mine().find((x) => x.delivery!.status === 'PENDING' && x.delivery!.waiting);
      if (waiting) await retry(waiting);
      await runOut(session, tenant, t, 16);
      const dead = mine()
        .filter((x) => x.delivery!.status === 'DEAD_LETTERED')
        .at(-1);
      if (!dead) return;
      await retry(dead);
      await retry(dead);
      await advance(session, tenant, t, PAST_EVERY_WAIT);
    },
  }),
  wrongThenCodeUpdate: step({
    weight: 2,
    fields: ({ tenant, index }) => ({
      tenant,
      job: index,
      wrong: fc.constantFrom(1, 2),
      code: fc.stringMatching(/^[0-9]{4}$/),
    }),
    describe: (s, at) => {
      const target = at && codeNotFrozen(at, s.job);
      const job = !at
        ? `job ${nth(s.job)} of those with a code not yet frozen (none: a new one on a fresh slot)`
        : target
          ? `job ${nth(at.t.jobs.indexOf(target))}`
          : 'a job created with a code on a fresh slot';
      return `try ${s.wrong} wrong code${s.wrong > 1 ? 's' : ''} on ${job} straight to CLIENT_RECEIVED, set its code to ${JSON.stringify(s.code)}, read it, then deliver with the new code`;
    },
    operations: ['getAvailability', 'createJob', 'advanceJob', 'updateDeliveryCode', 'getJob'],
    async perform(s, scene) {
      const { session, tenant, t, jobPath } = scene;
      const target = codeNotFrozen(scene, s.job) ?? (await freshJob(scene, true));
      if (!target) return;
      const drive = (code: string) =>
        judged(
          jobRules.advanceJob(t, target, 'CLIENT_RECEIVED', code),
          'advanceJob',
          session.call(tenant, 'advanceJob', {
            pathParams: jobPath(target),
            body: { to: 'CLIENT_RECEIVED', delivery_code: code },
          }),
        );
      for (let i = 0; i < s.wrong; i++) await drive(typed(target, 'wrong'));
      await judged(
        jobRules.updateDeliveryCode(target, s.code),
        'updateDeliveryCode',
        session.call(tenant, 'updateDeliveryCode', { pathParams: jobPath(target), body: { delivery_code: s.code } }),
      );
      await judged(
        jobRules.getJob(t, target),
        'getJob',
        session.call(tenant, 'getJob', { pathParams: jobPath(target) }),
      );
      await drive(typed(target, 'right'));
    },
  }),
};

type Entries = typeof ENTRIES;
export type StepKind = keyof Entries;
type FieldsOf<K extends StepKind> = Entries[K] extends StepEntry<infer F> ? F : never;
/** A step as drawn: its kind and its fields. */
export type StepOf<K extends StepKind> = { op: K } & FieldsOf<K>;
export type Step = { [K in StepKind]: StepOf<K> }[StepKind];

/** The registry, typed so that a kind's entry takes exactly that kind's fields. */
export const STEPS: { [K in StepKind]: StepEntry<FieldsOf<K>> } = ENTRIES;
