/**
 * Steps many checks share (hold a slot, create a job, drive it), built from the spec's
 * own examples so that the kit sends nothing the contract does not describe.
 */
import {
  example,
  isRfc3339DateTime,
  parseInstant,
  sameInstant,
  secondsToReach,
  formatInstant,
  millisecondsBetween,
  plus,
  type Instant,
  LIFECYCLE,
  resolveSchema,
  schemaAt,
  type SchemaNode,
  type Schemas,
} from '../../spec/contract';
import type { CheckContext } from './context';
import type { ContractClient } from '../../client/http';

type Slot = Schemas['Slot'];
type Job = Schemas['Job'];
export type AvailabilityRequest = Schemas['AvailabilityRequest'];
export type Order = Schemas['CreateJobRequest'];

const HOUR_MS = 3600_000;

export { example, LIFECYCLE };

/** The same JSON value with every object's keys in the reverse order. */
export function reverseKeys<T>(value: T): T {
  const reverse = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(reverse);
    if (node === null || typeof node !== 'object') return node;
    return Object.fromEntries(
      Object.entries(node)
        .reverse()
        .map(([key, item]) => [key, reverse(item)]),
    );
  };
  // Only the order of keys changes, so the value keeps its type.
  return reverse(value) as T;
}

/** The spec's availability example, moved to a window two days ahead so that it is never in the past. */
export function availabilityRequest(overrides: Partial<AvailabilityRequest> = {}): AvailabilityRequest {
  const start = new Date(Math.ceil(Date.now() / HOUR_MS) * HOUR_MS + 48 * HOUR_MS);
  const end = new Date(start.getTime() + 4 * HOUR_MS);
  return { ...example('AvailabilityRequest'), start: start.toISOString(), end: end.toISOString(), ...overrides };
}

export async function holdSlots(
  ctx: CheckContext,
  client: ContractClient = ctx.client,
  body: AvailabilityRequest = availabilityRequest(),
): Promise<Slot[]> {
  const response = ctx.expectStatus(await client.call('getAvailability', { body }), 200);
  ctx.expect(
    Array.isArray(response.json) && response.json.length > 0,
    'availability for a four-hour window returned no slot',
    {
      expected: 'at least one slot',
      received: response.json,
      response,
    },
  );
  return response.json;
}

export async function holdSlot(ctx: CheckContext, client: ContractClient = ctx.client): Promise<Slot> {
  return (await holdSlots(ctx, client))[0];
}

function clientReference(): string {
  return `CONFORM-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
}

export function fullOrder(slotId: string, overrides: Partial<Order> = {}): Order {
  return { ...example('CreateJobRequest'), slot_id: slotId, client_reference: clientReference(), ...overrides };
}

export function minimalOrder(slotId: string, overrides: Partial<Order> = {}): Order {
  return { ...example('CreateJobRequestMinimal'), slot_id: slotId, client_reference: clientReference(), ...overrides };
}

export async function createJob(ctx: CheckContext, order: Order, client: ContractClient = ctx.client): Promise<string> {
  const response = ctx.expectStatus(await client.call('createJob', { body: order }), 201);
  return response.json.job_id;
}

/** A slot held and a job created on it; with `deliveryCode` the job has a code. */
export async function newJob(
  ctx: CheckContext,
  options: { deliveryCode?: boolean; client?: ContractClient } = {},
): Promise<{ jobId: string; slot: Slot; order: Order }> {
  const client = options.client ?? ctx.client;
  const slot = await holdSlot(ctx, client);
  const order =
    options.deliveryCode === undefined
      ? minimalOrder(slot.id)
      : minimalOrder(slot.id, { add_delivery_code: options.deliveryCode });
  const jobId = await createJob(ctx, order, client);
  return { jobId, slot, order };
}

export async function getJob(ctx: CheckContext, jobId: string, client: ContractClient = ctx.client): Promise<Job> {
  const response = ctx.expectStatus(await client.call('getJob', { pathParams: { job_id: jobId } }), 200);
  return response.json;
}

export async function advanceJob(ctx: CheckContext, jobId: string, body?: Schemas['AdvanceJobRequest']): Promise<Job> {
  const response = ctx.expectStatus(
    await ctx.call('advanceJob', { pathParams: { job_id: jobId }, ...(body === undefined ? {} : { body }) }),
    200,
  );
  return response.json;
}

/**
 * One spelling per instant (UTC, nine fraction digits), so that expected and received
 * date-times compare as instants at every digit written and still read as times.
 */
export function exactly(dateTime: string): string {
  return formatInstant(parseInstant(dateTime), { fractionDigits: 9 });
}

/** `dateTime` moved by whole milliseconds, written as the kit writes date-times it sends. */
export function shifted(dateTime: string, milliseconds: number): string {
  return formatInstant(plus(dateTime, milliseconds));
}

export { millisecondsBetween };

/** The tenant's clock, exactly as the implementation wrote it. */
export async function tenantNow(ctx: CheckContext): Promise<Instant> {
  const response = ctx.expectStatus(await ctx.call('getClock'), 200);
  return parseInstant(response.json.now);
}

export async function advanceClock(ctx: CheckContext, seconds: number): Promise<void> {
  ctx.expectStatus(await ctx.call('advanceClock', { body: { seconds: Math.max(1, Math.ceil(seconds)) } }), 200);
}

/**
 * Moves the tenant's clock to `at` or just past it, by whole seconds (at least one),
 * computed at the precision both instants were written in: a due time a few microseconds
 * past a whole second needs one second more.
 */
export async function advanceClockTo(ctx: CheckContext, at: string, extraSeconds = 0): Promise<void> {
  await advanceClock(ctx, secondsToReach(await tenantNow(ctx), parseInstant(at)) + extraSeconds);
}

/**
 * Every field of `sent` (deeply) is in `got` with the same value. With the schema of
 * `sent` (a pointer into the spec), a date-time is compared as the instant it denotes,
 * never as text: the contract lets an implementation write it back in any RFC 3339 form.
 */
export function missingOrDifferent(sent: unknown, got: unknown, schema?: string | SchemaNode, path = ''): string[] {
  const node = typeof schema === 'string' ? schemaAt(schema) : resolveSchema(schema);
  const here = path || '(root)';
  if (sent === null || typeof sent !== 'object') {
    if (node?.format === 'date-time' && typeof sent === 'string' && typeof got === 'string' && isRfc3339DateTime(got)) {
      return sameInstant(sent, got) ? [] : [`${here}: sent ${sent}, got ${got} (another instant)`];
    }
    return Object.is(sent, got) ? [] : [`${here}: sent ${JSON.stringify(sent)}, got ${JSON.stringify(got)}`];
  }
  if (got === null || typeof got !== 'object' || Array.isArray(sent) !== Array.isArray(got)) {
    return [`${here}: sent ${JSON.stringify(sent)}, got ${JSON.stringify(got)}`];
  }
  if (Array.isArray(sent) && sent.length !== (got as unknown[]).length)
    return [`${path}: sent ${sent.length} items, got ${(got as unknown[]).length}`];
  const out: string[] = [];
  const echoed = got as Record<string, unknown>;
  for (const [key, value] of Object.entries(sent)) {
    const childPath = Array.isArray(sent) ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
    const childSchema = Array.isArray(sent)
      ? node?.items
      : (node?.properties?.[key] ??
        (typeof node?.additionalProperties === 'object' ? node.additionalProperties : undefined));
    out.push(...missingOrDifferent(value, echoed[key], childSchema, childPath));
  }
  return out;
}
