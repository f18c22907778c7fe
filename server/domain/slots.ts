/** Availability and slots: held on the tenant's clock, single-use, extendable once expired never. */
import { knownFieldsOnly, type Schemas } from '../../spec/contract';
import { iso } from './clock';
import { DomainError, validationFailed } from './errors';
import { newId } from './ids';
import type { OperationContext } from './operation';
import type { Outcome, RecordWrite } from './outcome';
import type { Job, SlotRecord } from './store';

export type AvailabilityRequest = Schemas['AvailabilityRequest'];

const MAX_WINDOW_MS = 7 * 24 * 3600 * 1000;
const MAX_SLOTS_PER_ANSWER = 500;
const QUOTE_SCHEMA = '#/components/schemas/AvailabilityRequest';

export async function availability(
  op: OperationContext,
  request: AvailabilityRequest,
): Promise<Outcome<Schemas['Slot'][]>> {
  const start = Date.parse(request.start);
  const end = Date.parse(request.end);
  if (!(end > start))
    throw validationFailed([{ location: 'body', param: 'end', value: request.end, msg: 'must be after start' }]);
  if (end - start > MAX_WINDOW_MS)
    throw validationFailed([
      { location: 'body', param: 'end', value: request.end, msg: 'window must be at most 7 days' },
    ]);
  const models = request.operational_models_priority?.length
    ? request.operational_models_priority
    : ['FULL_SERVICE' as const];
  const stepMs = request.slot_size * 60_000;
  const expiresAtMs = op.now + op.config.slotTtlSeconds * 1000;
  const quote = knownFieldsOnly(QUOTE_SCHEMA, {
    origin: request.origin,
    destination: request.destination,
    job_items: request.job_items,
    currency_code: request.currency_code,
  });
  const store = { id: request.store_reference ?? 'store-default', name: request.origin.name };
  const records: SlotRecord[] = [];
  for (const operationalModel of models) {
    for (let fromMs = start; fromMs + stepMs <= end && records.length < MAX_SLOTS_PER_ANSWER; fromMs += stepMs) {
      records.push({
        id: newId('slt'),
        fromMs,
        toMs: fromMs + stepMs,
        operationalModel,
        store,
        expiresAtMs,
        originalExpiresAtMs: expiresAtMs,
        extended: false,
        usedByJobId: null,
        quote,
      });
    }
  }
  const writes: RecordWrite[] = records.map((record) => ({ kind: 'slots', put: record }));
  for (const id of await slotsToForget(op, records)) writes.push({ kind: 'slots', delete: id });
  return { answer: records.map(slotView), writes, events: [] };
}

/** Keeps the tenant within its bound of slots once `added` are kept: the oldest are forgotten first. */
async function slotsToForget(op: OperationContext, added: readonly SlotRecord[]): Promise<string[]> {
  let excess = (await op.tx.slots.count()) + added.length - op.config.maxSlotsPerTenant;
  const forgotten: string[] = [];
  if (excess <= 0) return forgotten;
  for await (const slot of op.tx.slots.list('oldest')) {
    if (excess-- <= 0) return forgotten;
    forgotten.push(slot.id);
  }
  // The bound is smaller than one answer: some of the new slots go at once.
  for (const slot of added) {
    if (excess-- <= 0) break;
    forgotten.push(slot.id);
  }
  return forgotten;
}

export async function slotRecord(op: OperationContext, slotId: string): Promise<SlotRecord> {
  const record = await op.tx.slots.get(slotId);
  if (!record) throw new DomainError('SLOT_NOT_FOUND', `Slot ${slotId} not found`);
  return record;
}

/** The contract's expiry: a slot's hold runs out once the tenant's clock is past it. */
export function slotExpired(record: SlotRecord, nowMs: number): boolean {
  return nowMs > record.expiresAtMs;
}

function slotCheck(op: OperationContext, record: SlotRecord): Schemas['SlotCheck'] {
  const status = record.usedByJobId ? 'USED' : op.policies.slotExpired(record, op.now) ? 'EXPIRED' : 'AVAILABLE';
  return {
    slot_id: record.id,
    valid: status === 'AVAILABLE',
    status,
    expires_at: iso(record.expiresAtMs),
    extended: record.extended,
  };
}

export async function checkSlot(op: OperationContext, slotId: string): Promise<Schemas['SlotCheck']> {
  return slotCheck(op, await slotRecord(op, slotId));
}

export async function extendSlot(op: OperationContext, slotId: string): Promise<Outcome<Schemas['SlotCheck']>> {
  const record = await slotRecord(op, slotId);
  if (record.usedByJobId) throw new DomainError('SLOT_ALREADY_USED', `Slot ${slotId} already has a job`);
  if (op.policies.slotExpired(record, op.now)) throw expired(record);
  const extended: SlotRecord = {
    ...record,
    expiresAtMs: record.originalExpiresAtMs + 3 * op.config.slotTtlSeconds * 1000,
    extended: true,
  };
  return { answer: slotCheck(op, extended), writes: [{ kind: 'slots', put: extended }], events: [] };
}

function expired(record: SlotRecord): DomainError {
  return new DomainError('SLOT_EXPIRED', `Slot expired at ${iso(record.expiresAtMs)}; ask availability again`);
}

/** Checks that a slot can take a job, without taking it. */
export async function usableSlot(op: OperationContext, slotId: string): Promise<SlotRecord> {
  const record = await slotRecord(op, slotId);
  if (record.usedByJobId) throw new DomainError('SLOT_ALREADY_USED', `Slot ${slotId} already has a job`);
  if (op.policies.slotExpired(record, op.now)) throw expired(record);
  return record;
}

/** What a job takes from its slot: the window, and the places and items of the slot's quote. */
export function placement(slot: SlotRecord): Pick<Job, 'slot' | 'origin' | 'destination' | 'job_items'> {
  return {
    slot: {
      id: slot.id,
      from: iso(slot.fromMs),
      to: iso(slot.toMs),
      operational_model: slot.operationalModel,
      store: slot.store,
    },
    origin: slot.quote.origin,
    destination: slot.quote.destination,
    job_items: slot.quote.job_items,
  };
}

/** The slot, marked as used by the job: the write that holds it. */
export function holdSlot(slot: SlotRecord, jobId: string): RecordWrite<'slots'> {
  return { kind: 'slots', put: { ...slot, usedByJobId: jobId } };
}

function slotView(record: SlotRecord): Schemas['Slot'] {
  const from = iso(record.fromMs);
  const to = iso(record.toMs);
  return {
    id: record.id,
    from,
    to,
    operational_model: record.operationalModel,
    description: `${record.operationalModel} ${from.slice(11, 16)}-${to.slice(11, 16)} UTC`,
    expires_at: iso(record.expiresAtMs),
    store: record.store,
  };
}
