/**
 * Fault rules: which of a tenant's calls a rule applies to, whether it fires, and what it
 * asks for. Plain functions over the rules' records: the HTTP adapter decides what a
 * firing does to an answer (server/http/faults.ts).
 */
import type { Schemas } from '../../spec/contract';
import { canonicalJson } from '../domain/canonical-json';
import { clockNow, iso } from '../domain/clock';
import { DomainError, validationFailed, type ValidationErrorItem } from '../domain/errors';
import { newId } from '../domain/ids';
import { patternError, patternMatches } from './pattern';
import type { FaultableOperation, FaultRecord, FaultTransaction } from './records';

export const MAX_FAULT_RULES = 20;

/** Every operation a rule may name: the production ones. */
export const FAULTABLE_OPERATIONS: readonly FaultableOperation[] = [
  'getAvailability',
  'checkSlot',
  'extendSlot',
  'createJob',
  'getJob',
  'cancelJob',
  'updateDeliveryCode',
  'rescheduleJob',
  'updatePaymentInfo',
  'replaceExternalData',
];

const FAULTABLE: ReadonlySet<string> = new Set(FAULTABLE_OPERATIONS);

export function isFaultable(operationId: string): operationId is FaultableOperation {
  return FAULTABLE.has(operationId);
}

/**
 * The next draw of a rule's sequence (mulberry32): a number in [0, 1) and the state after
 * it. Small, fast and the same everywhere, which is all a replayable fault needs.
 */
export function nextDraw(state: number): { draw: number; state: number } {
  const next = (state + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { draw: ((t ^ (t >>> 14)) >>> 0) / 4294967296, state: next };
}

/** The value at a JSON pointer (RFC 6901), or undefined when the body has none there. */
export function valueAt(body: unknown, pointer: string): unknown {
  if (pointer === '') return body;
  let value = body;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      value = value[Number(token)];
    } else if (value !== null && typeof value === 'object' && Object.hasOwn(value, token)) {
      value = (value as Record<string, unknown>)[token];
    } else return undefined;
  }
  return value;
}

function bodyMatches(match: Schemas['FaultMatch'], body: unknown): boolean {
  const value = valueAt(body, match.pointer);
  if (value === undefined) return false;
  if (match.pattern !== undefined) return typeof value === 'string' && patternMatches(match.pattern, value);
  return canonicalJson(value) === canonicalJson(match.equals);
}

/** The constraints the schema cannot say, each as a 422 item naming its field. */
function problemsOf(request: Schemas['FaultRuleRequest']): ValidationErrorItem[] {
  const problems: ValidationErrorItem[] = [];
  const problem = (param: string, value: unknown, msg: string) =>
    problems.push({ location: 'body', param, value, msg });
  const effects = (['status', 'delay_ms', 'drop'] as const).filter((field) => request[field] !== undefined);
  if (effects.length === 0) problem('status', undefined, 'give one effect: status, delay_ms or drop');
  for (const extra of effects.slice(1))
    problem(extra, request[extra], `give one effect only, not ${effects.join(' and ')}`);
  if (request.retry_after !== undefined && request.status !== 429 && request.status !== 503)
    problem('retry_after', request.retry_after, 'only with status 429 or 503');
  if (request.seed !== undefined && request.probability === undefined)
    problem('seed', request.seed, 'only with probability');
  const delay = request.delay_ms;
  if (typeof delay === 'object' && delay.min > delay.max) problem('delay_ms.max', delay.max, 'must not be below min');
  const match = request.match;
  if (match) {
    const given = [match.pattern !== undefined, Object.hasOwn(match, 'equals')].filter(Boolean).length;
    if (given !== 1) problem('match.pattern', match.pattern, 'give exactly one of pattern and equals');
    if (match.pattern !== undefined) {
      const error = patternError(match.pattern);
      if (error !== null) problem('match.pattern', match.pattern, error);
    }
  }
  return problems;
}

export async function createFaultRule(
  tx: FaultTransaction,
  request: Schemas['FaultRuleRequest'],
  drawSeed: () => number,
): Promise<FaultRecord> {
  const problems = problemsOf(request);
  if (problems.length > 0) throw validationFailed(problems);
  if ((await tx.faults.count()) >= MAX_FAULT_RULES) {
    throw validationFailed([
      { location: 'body', param: '', msg: `at most ${MAX_FAULT_RULES} fault rules per tenant; delete one first` },
    ]);
  }
  const { operations, phase, ...rest } = request;
  const rule: FaultRecord = {
    id: newId('flt'),
    ...rest,
    operations: operations ?? [...FAULTABLE_OPERATIONS],
    phase: phase ?? 'before',
    ...(request.probability !== undefined ? { seed: request.seed ?? drawSeed() } : {}),
    fired: 0,
    created_at: iso(clockNow(await tx.clock(), tx.realNowMs)),
  };
  // Only the contract's fields are kept: unknown ones were accepted, and are not stored.
  for (const key of Object.keys(rule)) if (!RULE_FIELDS.has(key)) delete (rule as Record<string, unknown>)[key];
  tx.faults.put(rule);
  return rule;
}

const RULE_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'operations',
  'match',
  'times',
  'probability',
  'seed',
  'phase',
  'status',
  'retry_after',
  'delay_ms',
  'drop',
  'fired',
  'created_at',
]);

/** A rule as the contract shows it. */
export function faultView(rule: FaultRecord): Schemas['FaultRule'] {
  const { rngState: _state, ...view } = rule;
  return view;
}

export async function listFaultRules(tx: FaultTransaction): Promise<Schemas['FaultRule'][]> {
  const out: Schemas['FaultRule'][] = [];
  for await (const rule of tx.faults.list('oldest')) out.push(faultView(rule));
  return out;
}

export async function deleteFaultRule(tx: FaultTransaction, faultId: string): Promise<void> {
  if (!(await tx.faults.get(faultId))) throw new DomainError('FAULT_NOT_FOUND', `Fault rule ${faultId} not found`);
  tx.faults.delete(faultId);
}

/**
 * The rule that fires on this call, if any, its firing counted, and whether anything was
 * written: oldest first, the first rule that applies and fires decides. A rule with
 * `probability` draws once per call it applies to, fired or not (the draw is written), so its
 * sequence depends only on the calls it saw.
 */
export async function firingRule(
  tx: FaultTransaction,
  operationId: FaultableOperation,
  body: unknown,
): Promise<{ rule: FaultRecord | null; wrote: boolean }> {
  // Most tenants have no rule: every production call asks, so answer those without a list.
  if ((await tx.faults.count()) === 0) return { rule: null, wrote: false };
  let wrote = false;
  for await (const rule of tx.faults.list('oldest')) {
    if (!(rule.operations ?? FAULTABLE_OPERATIONS).includes(operationId)) continue;
    if (rule.times !== undefined && rule.fired >= rule.times) continue;
    if (rule.match && !bodyMatches(rule.match, body)) continue;
    let current = rule;
    if (rule.probability !== undefined) {
      const { draw, state } = nextDraw(rule.rngState ?? rule.seed ?? 0);
      current = { ...rule, rngState: state };
      if (draw >= rule.probability) {
        tx.faults.put(current);
        wrote = true;
        continue;
      }
    }
    const fired = { ...current, fired: current.fired + 1 };
    tx.faults.put(fired);
    return { rule: fired, wrote: true };
  }
  return { rule: null, wrote };
}
