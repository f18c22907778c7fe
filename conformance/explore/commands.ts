/**
 * The registry's steps (steps.ts) as fast-check commands: drawn with their weights, run only
 * where they make sense, performed by their entry, and named in a trace by their description.
 */
import fc from 'fast-check';
import { operations, type OperationId, type Schemas } from '../../spec/contract';
import { LIFECYCLE, type Model, type TenantModel } from './model';
import { nextDue } from './model/receivers';
import { SESSION_OPERATIONS, type Session } from './session';
import { STEPS, type Draws, type Scene, type Step, type StepKind, type StepOf } from './steps';

export type { Step } from './steps';

const pick = <T>(list: T[], i: number): T | undefined => (list.length === 0 ? undefined : list[i % list.length]);
const other = (m: Model, tenant: number) => m.tenants[tenant === 0 ? 1 : 0] as TenantModel | undefined;
const KINDS = Object.keys(STEPS) as StepKind[];

/** The operations an exploration may call, in the spec's order: its steps' and its session's own. */
export const EXPLORE_OPERATIONS: OperationId[] = (() => {
  const used = new Set<OperationId>([...SESSION_OPERATIONS, ...KINDS.flatMap((kind) => STEPS[kind].operations)]);
  return operations.map((op) => op.operationId).filter((id) => used.has(id));
})();

function draws(tenants: number): Draws {
  const steps = LIFECYCLE.filter((state): state is Schemas['LifecycleStep'] => state !== 'CREATED');
  return {
    tenant:
      tenants === 1
        ? fc.constant(0)
        : fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }),
    index: fc.nat({ max: 3 }),
    rare: fc.nat({ max: 9 }).map((n) => n === 0),
    unused: fc.nat({ max: 2 }).map((n) => n > 0),
    target: fc.oneof(
      { weight: 1, arbitrary: fc.constant(null) },
      { weight: 2, arbitrary: fc.constant('CLIENT_RECEIVED' as const) },
      { weight: 3, arbitrary: fc.constantFrom(...steps.slice(0, -1)) },
    ),
  };
}

function arbitraryOf<K extends StepKind>(kind: K, shared: Draws): fc.Arbitrary<StepOf<K>> {
  const entry = STEPS[kind];
  // The kind first, then the entry's fields in its order: what a seed draws stays as it was.
  // tsc cannot see that spreading a generic entry's fields gives StepOf<K>; it is so by construction.
  return fc.record({ op: fc.constant(kind), ...entry.fields(shared) }) as fc.Arbitrary<StepOf<K>>;
}

export function stepArbitrary(tenants: number): fc.Arbitrary<Step> {
  const shared = draws(tenants);
  // Over KINDS, StepOf<StepKind> is the union Step once distributed, which tsc does not do here.
  return fc.oneof(
    ...KINDS.map((kind) => ({
      weight: STEPS[kind].weight,
      arbitrary: arbitraryOf(kind, shared) as fc.Arbitrary<Step>,
    })),
  );
}

const TENANT_NAMES = ['A', 'B'];

/** The step as drawn; with `at`, as it acts in that scene (what its positions reach, or an unknown id). */
export function describeStep<K extends StepKind>(s: StepOf<K>, at?: Scene): string {
  return `tenant ${TENANT_NAMES[s.tenant]}: ${STEPS[s.op].describe(s, at)}`;
}

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
  const pending = (scripted: (typeof t.endpoints)[number]) =>
    scripted.script !== undefined && scripted.live && scripted.expected.some((x) => x.delivery?.status === 'PENDING');
  switch (s.op) {
    case 'replay':
      return t.idempotency.size > 0;
    case 'dueClock':
    case 'runOutRetries':
      return nextDue(t) !== undefined;
    case 'retryScripted':
      return t.endpoints.some((e) => e.script && e.expected.some((x) => x.delivery?.id !== undefined));
    case 'deleteMidRetry':
      return t.endpoints.some(pending);
    case 'resetPending':
      return !t.shared && t.endpoints.some(pending);
    case 'rescheduleThenReuse':
    case 'replaceEndpoint':
      return t.jobs.length > 0;
    case 'cancelThenReplay':
      return t.slots.some((x) => !x.usedBy);
    default:
      return true;
  }
}

export function sceneFor(s: { tenant: number }, m: Model, session: Session): Scene {
  const t = m.tenants[s.tenant];
  const unknown = `unknown-${session.nonce}`;
  return {
    model: m,
    session,
    tenant: s.tenant,
    t,
    now: session.now(s.tenant),
    unknown,
    job: (i) => pick(t.jobs, i),
    jobPath: (j) => ({ job_id: j?.id ?? unknown }),
    slotFor: (i, foreign = false, unused = false) => {
      const mine = unused && t.slots.some((x) => !x.usedBy) ? t.slots.filter((x) => !x.usedBy) : t.slots;
      const slot = pick(foreign ? other(m, s.tenant)!.slots : mine, i);
      return { id: slot?.id ?? unknown, model: foreign ? undefined : slot };
    },
    other: () => other(m, s.tenant),
  };
}

export function perform<K extends StepKind>(s: StepOf<K>, scene: Scene): Promise<void> {
  return STEPS[s.op].perform(s, scene);
}

export class StepCommand implements fc.AsyncCommand<Model, Session> {
  constructor(readonly step: Step) {}
  check(m: Readonly<Model>): boolean {
    return applies(this.step, m);
  }
  async run(m: Model, session: Session): Promise<void> {
    const scene = sceneFor(this.step, m, session);
    session.begin(describeStep(this.step, scene));
    await perform(this.step, scene);
    // Receivers that fail: the log and the requests they got, as the model predicts them after the step.
    await session.sync(this.step.tenant, m.tenants[this.step.tenant]);
  }
  toString(): string {
    return describeStep(this.step);
  }
}
