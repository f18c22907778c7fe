/** Availability and slots: held on the tenant's clock, single-use, extendable once expired never. */
import { knownFieldsOnly, type Schemas } from '../../spec/contract';
import { iso } from './clock';
import { DomainError, validationFailed } from './errors';
import { newId } from './ids';
import type { OperationContext } from './operation';
import type { Job, SlotRecord } from './store';

export type AvailabilityRequest = Schemas['AvailabilityRequest'];

const MAX_WINDOW_MS = 7 * 24 * 3600 * 1000;
const MAX_SLOTS_PER_ANSWER = 500;
const QUOTE_SCHEMA = '#/components/schemas/AvailabilityRequest';

export async function availability(op: OperationContext, request: AvailabilityRequest): Promise<Schemas['Slot'][]> {
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
  for (const record of records) op.tx.slots.put(record);
  await forgetOldestSlots(op);
  return records.map(slotView);
}

/** Keeps the tenant within its bound of slots, the oldest forgotten first. */
async function forgetOldestSlots(op: OperationContext): Promise<void> {
  let excess = (await op.tx.slots.count()) - op.config.maxSlotsPerTenant;
  if (excess <= 0) return;
  for await (const slot of op.tx.slots.list('oldest')) {
    if (excess-- <= 0) break;
    op.tx.slots.delete(slot.id);
  }
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

export async function extendSlot(op: OperationContext, slotId: string): Promise<Schemas['SlotCheck']> {
  const record = await slotRecord(op, slotId);
  if (record.usedByJobId) throw new DomainError('SLOT_ALREADY_USED', `Slot ${slotId} already has a job`);
  if (op.policies.slotExpired(record, op.now)) throw expired(record);
  const extended: SlotRecord = {
    ...record,
    expiresAtMs: record.originalExpiresAtMs + 3 * op.config.slotTtlSeconds * 1000,
    extended: true,
  };
  op.tx.slots.put(extended);
  return slotCheck(op, extended);
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

/** Marks the slot as used by the job. */
export function holdSlot(op: OperationContext, slot: SlotRecord, jobId: string): void {
  op.tx.slots.put({ ...slot, usedByJobId: jobId });
}

/** Moves a job onto the slot: held for it, and its window, places and items taken from it. */
export function takeSlot(op: OperationContext, slot: SlotRecord, job: Job): Job {
  holdSlot(op, slot, job.id);
  return { ...job, ...placement(slot) };
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
