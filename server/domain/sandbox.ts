/**
 * The sandbox's domain: slots, jobs, their lifecycle, delivery codes, tenants and their
 * clocks. Plain TypeScript: it knows nothing of HTTP. Each operation is one transaction
 * on the tenant's store (server/domain/store.ts), so concurrent requests, in this process
 * or another, never see one half done: a slot is consumed exactly once.
 */
import type { Schemas } from '../../spec/contract';
import { advancedClock, clockNow, frozenClock, iso, offsetSeconds, unfrozenClock } from './clock';
import { checkDeliveryCode, updateDeliveryCode } from './delivery-code';
import { advanceJob } from './driver';
import { validationFailed } from './errors';
import * as jobs from './jobs';
import {
  DEFAULT_SANDBOX_CONFIG, LIFECYCLE, Refusal, recordEvent,
  type JobEvent, type JobState, type OperationContext, type SandboxConfig, type SandboxSteps,
} from './operation';
import * as slots from './slots';
import type { ClockState, Job, Store, Transaction } from './store';

export { DEFAULT_SANDBOX_CONFIG, LIFECYCLE };
export type { AvailabilityRequest } from './slots';
export type { CreateJobRequest, CreatedJob } from './jobs';
export type { EventType, JobEvent, JobState, OperationContext, SandboxConfig, SandboxSteps } from './operation';

/**
 * A tenant's clock. Not past year 9000: every time derived from it (slot expiry, retries,
 * idempotency) must stay a four-digit-year date-time, and Date itself ends in year 275760.
 */
const CLOCK_LIMIT_MS = Date.UTC(9000, 0, 1);

export type EventListener = (tenantKey: string, event: JobEvent) => void;
/** Runs inside the transaction that recorded the events, so what it writes commits with them. */
export type EventParticipant = (tx: Transaction, events: readonly JobEvent[]) => Promise<void>;

/**
 * Internal steps a test may wrap at construction, to break one rule on purpose
 * (test/mutants); each wrapper gets the step as built and returns its replacement.
 * `lastmile serve` passes none.
 */
export type SandboxStepWrappers = { [Step in keyof SandboxSteps]?: (original: SandboxSteps[Step]) => SandboxSteps[Step] };

export class Sandbox {
  readonly config: SandboxConfig;
  private readonly steps: SandboxSteps;
  private readonly listeners: EventListener[] = [];
  private readonly clockListeners: Array<(tenantKey: string) => void> = [];
  private readonly participants: EventParticipant[] = [];

  constructor(readonly store: Store, config: Partial<SandboxConfig> = {}, wrappers: SandboxStepWrappers = {}) {
    this.config = { ...DEFAULT_SANDBOX_CONFIG, ...config };
    const built: SandboxSteps = {
      findJob: jobs.getJob, usableSlot: slots.usableSlot, isExpired: slots.isExpired, checkDeliveryCode, record: recordEvent, refuseIfFinal: jobs.refuseIfFinal,
    };
    this.steps = {
      findJob: wrappers.findJob?.(built.findJob) ?? built.findJob,
      usableSlot: wrappers.usableSlot?.(built.usableSlot) ?? built.usableSlot,
      isExpired: wrappers.isExpired?.(built.isExpired) ?? built.isExpired,
      checkDeliveryCode: wrappers.checkDeliveryCode?.(built.checkDeliveryCode) ?? built.checkDeliveryCode,
      record: wrappers.record?.(built.record) ?? built.record,
      refuseIfFinal: wrappers.refuseIfFinal?.(built.refuseIfFinal) ?? built.refuseIfFinal,
    };
  }

  /** Job events, once committed. */
  onEvent(listener: EventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** The tenant's clock moved on by an advance or an unfreeze, once committed. */
  onClockMoved(listener: (tenantKey: string) => void): void {
    this.clockListeners.push(listener);
  }

  /** Job events, inside the transaction that records them (the webhook outbox queues its deliveries here). */
  onEventsInTransaction(participant: EventParticipant): void {
    this.participants.push(participant);
  }

  /** Runs one operation as one transaction on the tenant; a Refusal is thrown once committed. */
  private async run<T>(key: string, operation: (op: OperationContext) => Promise<T | Refusal>): Promise<T> {
    const result = await this.store.transact(key, async (tx) => {
      const op: OperationContext = { tx, now: clockNow(await tx.clock(), tx.realNowMs), config: this.config, steps: this.steps, events: [] };
      const value = await operation(op);
      if (op.events.length > 0) {
        for (const participant of this.participants) await participant(tx, op.events);
        tx.afterCommit(() => {
          for (const event of op.events) for (const listener of this.listeners) listener(key, event);
        });
      }
      return value;
    });
    if (result instanceof Refusal) throw result.error;
    return result;
  }

  // ---- slots and jobs -----------------------------------------------------------------

  availability(key: string, request: slots.AvailabilityRequest): Promise<Schemas['Slot'][]> {
    return this.run(key, (op) => slots.availability(op, request));
  }

  checkSlot(key: string, slotId: string): Promise<Schemas['SlotCheck']> {
    return this.run(key, (op) => slots.checkSlot(op, slotId));
  }

  extendSlot(key: string, slotId: string): Promise<Schemas['SlotCheck']> {
    return this.run(key, (op) => slots.extendSlot(op, slotId));
  }

  createJob(key: string, request: jobs.CreateJobRequest, idempotencyKey?: string): Promise<jobs.CreatedJob> {
    return this.run(key, (op) => jobs.createJob(op, request, idempotencyKey));
  }

  getJob(key: string, jobId: string): Promise<Job> {
    return this.run(key, (op) => op.steps.findJob(op, jobId));
  }

  listJobs(key: string, filter: { state?: JobState; limit?: number } = {}): Promise<Job[]> {
    return this.run(key, (op) => jobs.listJobs(op, filter));
  }

  cancelJob(key: string, jobId: string, request: Schemas['CancelJobRequest'] = {}): Promise<Job> {
    return this.run(key, (op) => jobs.cancelJob(op, jobId, request));
  }

  rescheduleJob(key: string, jobId: string, request: Schemas['RescheduleJobRequest']): Promise<Job> {
    return this.run(key, (op) => jobs.rescheduleJob(op, jobId, request));
  }

  updateDeliveryCode(key: string, jobId: string, request: Schemas['UpdateDeliveryCodeRequest']): Promise<Job> {
    return this.run(key, async (op) => updateDeliveryCode(op, await op.steps.findJob(op, jobId), request));
  }

  /** The sandbox driver: one step, or every step up to `to`, all or nothing. */
  advanceJob(key: string, jobId: string, request: Schemas['AdvanceJobRequest'] = {}): Promise<Job> {
    return this.run(key, (op) => advanceJob(op, jobId, request));
  }

  updatePaymentInfo(key: string, jobId: string, paymentInfo: Schemas['PaymentInfo']): Promise<Job> {
    return this.run(key, (op) => jobs.updatePaymentInfo(op, jobId, paymentInfo));
  }

  replaceExternalData(key: string, jobId: string, externalData: Schemas['ExternalData']): Promise<Job> {
    return this.run(key, (op) => jobs.replaceExternalData(op, jobId, externalData));
  }

  updateRecipientInstructions(key: string, jobId: string, request: Schemas['RecipientInstructionsRequest']): Promise<Job> {
    return this.run(key, (op) => jobs.updateRecipientInstructions(op, jobId, request));
  }

  // ---- clock and reset ----------------------------------------------------------------

  clock(key: string): Promise<Schemas['Clock']> {
    return this.run(key, async (op) => clockView(await op.tx.clock(), op.tx.realNowMs));
  }

  /** The clock stands still until advanced or unfrozen; freezing twice changes nothing. */
  freezeClock(key: string): Promise<Schemas['Clock']> {
    return this.changeClock(key, (state, realNowMs) => frozenClock(state, realNowMs), false);
  }

  unfreezeClock(key: string): Promise<Schemas['Clock']> {
    return this.changeClock(key, (state, realNowMs) => unfrozenClock(state, realNowMs), true);
  }

  advanceClock(key: string, seconds: number): Promise<Schemas['Clock']> {
    return this.changeClock(key, (state, realNowMs) => {
      if (clockNow(state, realNowMs) + seconds * 1000 > CLOCK_LIMIT_MS) {
        throw validationFailed([{ location: 'body', param: 'seconds', value: seconds, msg: `would move the clock past ${iso(CLOCK_LIMIT_MS)}, where tenant clocks stop` }]);
      }
      return advancedClock(state, seconds);
    }, true);
  }

  private changeClock(key: string, change: (state: ClockState, realNowMs: number) => ClockState, moves: boolean): Promise<Schemas['Clock']> {
    return this.run(key, async ({ tx }) => {
      const next = change(await tx.clock(), tx.realNowMs);
      tx.setClock(next);
      if (moves) tx.afterCommit(() => { for (const listener of this.clockListeners) listener(key); });
      return clockView(next, tx.realNowMs);
    });
  }

  reset(key: string): Promise<void> {
    return this.store.drop(key);
  }
}

function clockView(state: ClockState, realNowMs: number): Schemas['Clock'] {
  return { now: iso(clockNow(state, realNowMs)), offset_seconds: offsetSeconds(state), frozen: state.frozenAtMs !== null };
}
