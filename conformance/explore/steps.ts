/**
 * The steps an exploration strings together: what each is, how fast-check draws them, and
 * how a trace names them. A step names what it acts on by position (the 2nd slot held, the
 * 1st job), so a sequence means the same thing on every run and shrinks cleanly.
 */
import fc from 'fast-check';
import type { Schemas } from '../../spec/contract';
import { LIFECYCLE } from './model';

export type Step =
  | { op: 'availability'; tenant: number }
  | { op: 'checkSlot' | 'extendSlot'; tenant: number; slot: number; unused: boolean; foreign: boolean }
  | { op: 'createJob'; tenant: number; slot: number; unused: boolean; code: boolean; idempotent: boolean; foreign: boolean }
  | { op: 'replay'; tenant: number; key: number; body: 'same' | 'reordered' | 'other' }
  | { op: 'getJob'; tenant: number; job: number; foreign: boolean }
  | { op: 'cancel'; tenant: number; job: number; invalid: boolean }
  | { op: 'reschedule'; tenant: number; job: number; slot: number; unused: boolean; invalid: boolean }
  | { op: 'updateCode'; tenant: number; job: number; code: string }
  | { op: 'payment'; tenant: number; job: number; change: 'same' | 'prices' | 'invalid' }
  | { op: 'externalData'; tenant: number; job: number; invalid: boolean }
  | { op: 'instructions'; tenant: number; job: number; invalid: boolean }
  | { op: 'advance'; tenant: number; job: number; to: Schemas['LifecycleStep'] | null; code: 'right' | 'wrong' | 'malformed' | 'none' }
  | { op: 'clock'; tenant: number; seconds: number }
  | { op: 'addEndpoint'; tenant: number; invalid: boolean }
  | { op: 'deleteEndpoint'; tenant: number; endpoint: number }
  | { op: 'listDeliveries'; tenant: number; job: number | null; invalid: boolean }
  | { op: 'retryDelivery'; tenant: number; delivery: number }
  | { op: 'listJobs'; tenant: number; state: string | { ofJob: number } | null; limit: number; invalid: boolean }
  | { op: 'settleWebhooks'; tenant: number };

/** Clock moves chosen to land on both sides of a 15-minute hold, an extension and the 24 h idempotency window. */
const CLOCK_MOVES = [1, 60, 300, 600, 870, 930, 1800, 2700, 3700, 86_400 + 600];

export function stepArbitrary(tenants: number): fc.Arbitrary<Step> {
  // Mostly the first tenant, and a few jobs and slots at a time: state builds up where it is looked at.
  const tenant = tenants === 1 ? fc.constant(0) : fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) });
  const index = fc.nat({ max: 3 });
  const steps = LIFECYCLE.filter((state): state is Schemas['LifecycleStep'] => state !== 'CREATED');
  const target = fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.constant('CLIENT_RECEIVED' as const) }, { weight: 3, arbitrary: fc.constantFrom(...steps.slice(0, -1)) });
  /** True one time in ten: refusals and cross-tenant probes season a sequence without taking it over. */
  const rare = fc.nat({ max: 9 }).map((n) => n === 0);
  const job = { tenant, job: index };
  /** Mostly a slot the tenant holds and has not used yet; now and then any slot it holds. */
  const unused = fc.nat({ max: 2 }).map((n) => n > 0);
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant('availability' as const), tenant }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('checkSlot' as const, 'extendSlot' as const), tenant, slot: index, unused, foreign: rare }) },
    { weight: 10, arbitrary: fc.record({ op: fc.constant('createJob' as const), tenant, slot: index, unused, code: fc.boolean(), idempotent: fc.boolean(), foreign: rare }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('replay' as const), tenant, key: index, body: fc.constantFrom('same' as const, 'reordered' as const, 'other' as const) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('getJob' as const), ...job, foreign: rare }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('cancel' as const), ...job, invalid: rare }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('reschedule' as const), ...job, slot: index, unused, invalid: rare }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('updateCode' as const), ...job, code: fc.oneof(fc.stringMatching(/^[0-9]{4}$/), fc.constantFrom('123', '12a4', '00000')) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('payment' as const), ...job, change: fc.constantFrom('same' as const, 'prices' as const, 'invalid' as const) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('externalData' as const), ...job, invalid: rare }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('instructions' as const), ...job, invalid: rare }) },
    { weight: 8, arbitrary: fc.record({ op: fc.constant('advance' as const), ...job, to: target, code: fc.constantFrom('right' as const, 'wrong' as const, 'wrong' as const, 'malformed' as const, 'none' as const) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('clock' as const), tenant, seconds: fc.constantFrom(...CLOCK_MOVES) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('addEndpoint' as const), tenant, invalid: rare }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('deleteEndpoint' as const), tenant, endpoint: index }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('listDeliveries' as const), tenant, job: fc.option(index, { nil: null }), invalid: rare }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('retryDelivery' as const), tenant, delivery: index }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('listJobs' as const), tenant, state: fc.oneof(fc.constant(null), fc.constantFrom(...LIFECYCLE, 'CANCELLED'), fc.record({ ofJob: index })), limit: fc.constantFrom(1, 2, 1000), invalid: rare }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('settleWebhooks' as const), tenant }) },
  );
}

const TENANT_NAMES = ['A', 'B'];
const nth = (i: number) => `#${i + 1}`;

export function describeStep(s: Step): string {
  const who = `tenant ${TENANT_NAMES[s.tenant]}:`;
  switch (s.op) {
    case 'availability': return `${who} ask availability`;
    case 'checkSlot': case 'extendSlot': return `${who} ${s.op === 'checkSlot' ? 'check' : 'extend'} ${s.foreign ? 'the other tenant\'s ' : s.unused ? 'unused ' : ''}slot ${nth(s.slot)}`;
    case 'createJob': return `${who} create a job on ${s.foreign ? 'the other tenant\'s ' : ''}${s.unused && !s.foreign ? 'unused ' : ''}slot ${nth(s.slot)}${s.code ? ' with a delivery code' : ''}${s.idempotent ? ' under an Idempotency-Key' : ''}`;
    case 'replay': return `${who} send Idempotency-Key ${nth(s.key)} again with ${s.body === 'same' ? 'the same body' : s.body === 'reordered' ? 'the same body, keys reordered' : 'another body'}`;
    case 'getJob': return `${who} read ${s.foreign ? 'the other tenant\'s ' : ''}job ${nth(s.job)}`;
    case 'cancel': return `${who} cancel job ${nth(s.job)}${s.invalid ? ' with a reason that is not text' : ''}`;
    case 'reschedule': return `${who} reschedule job ${nth(s.job)} onto ${s.unused ? 'unused ' : ''}slot ${nth(s.slot)}${s.invalid ? ' without a reason' : ''}`;
    case 'updateCode': return `${who} set job ${nth(s.job)}'s delivery code to ${JSON.stringify(s.code)}`;
    case 'payment': return `${who} replace job ${nth(s.job)}'s payment info (${s.change === 'same' ? 'same prices' : s.change === 'prices' ? 'new prices' : 'order_value not a number'})`;
    case 'externalData': return `${who} replace job ${nth(s.job)}'s external data${s.invalid ? ' with a non-string value' : ''}`;
    case 'instructions': return `${who} change job ${nth(s.job)}'s recipient instructions${s.invalid ? ' with an empty body' : ''}`;
    case 'advance': return `${who} drive job ${nth(s.job)} ${s.to === null ? 'one step' : `to ${s.to}`}, ${s.code === 'none' ? 'no code' : `${s.code} code`}`;
    case 'clock': return `${who} advance the clock ${s.seconds} s`;
    case 'addEndpoint': return `${who} add a webhook endpoint${s.invalid ? ' with an ftp: URL' : ''}`;
    case 'deleteEndpoint': return `${who} delete webhook endpoint ${nth(s.endpoint)}`;
    case 'listDeliveries': return `${who} list webhook deliveries${s.job === null ? '' : ` of job ${nth(s.job)}`}${s.invalid ? ' with status=UNKNOWN' : ''}`;
    case 'retryDelivery': return `${who} retry webhook delivery ${nth(s.delivery)}`;
    case 'listJobs': return `${who} list jobs${s.state === null ? '' : typeof s.state === 'string' ? ` in ${s.state}` : ` in the state of job ${nth(s.state.ofJob)}`}, limit ${s.invalid ? 0 : s.limit}`;
    case 'settleWebhooks': return `${who} wait for the webhooks due`;
  }
}

