/**
 * The application layer: runs each operation of the sandbox as one unit of work. An
 * operation is one `store.transact(tenant, tx => ...)`: the domain function (server/domain/)
 * reads through the transaction and returns what happened (an Outcome: its answer, the
 * records to write, the job events); here, and only here, the writes go to the transaction
 * and the events to the outbox inside it, so their deliveries commit with them or not at
 * all; once committed, the events are published to whoever watches (the console, the
 * relay). Concurrent requests, in this process or another, never see one half done.
 */
import type { Schemas } from '../../spec/contract';
import { clockNow, frozenClock, unfrozenClock } from '../domain/clock';
import { updateDeliveryCode } from '../domain/delivery-code';
import { advanceJob } from '../domain/driver';
import * as jobs from '../domain/jobs';
import type { JobEvent, JobState, OperationContext, SandboxConfig, SandboxPolicies } from '../domain/operation';
import type { Outcome, RecordKind, RecordWrite, Refused } from '../domain/outcome';
import { clockAdvance, clockView, DEFAULT_SANDBOX_CONFIG, DEFAULT_SANDBOX_POLICIES } from '../domain/sandbox';
import * as slots from '../domain/slots';
import type { ClockState, DomainRecords, Job, Reads, RecordSets } from '../domain/store';
import { DomainError } from '../domain/errors';
import type { Store, Transaction } from '../store/records';

/** Hears a committed job event, its tenant named by reference (server/domain/tenants.ts), never by API key. */
export type EventListener = (tenantRef: string, event: JobEvent) => void;

/** Where job events go inside their transaction, and who hears that a clock moved: the webhook outbox. */
export interface EventOutbox {
  /** Queues what the events call for in `tx`, so that it commits with them. */
  enqueue(tx: Transaction, events: readonly JobEvent[]): Promise<void>;
  /** After the commit of an advance or an unfreeze: what was waiting on the clock may be due. */
  clockMoved(tenantKey: string): void;
}

export interface SandboxOptions {
  /** Where job events go inside their transaction; none: they are only published. */
  outbox?: EventOutbox;
  /** Rules other than the contract's (see SandboxPolicies). */
  policies?: Partial<SandboxPolicies>;
}

/**
 * What an operation's gate decided, first thing in the operation's transaction:
 * - 'pass': it did nothing, and the operation runs as if there were no gate;
 * - 'run': it wrote, and the operation runs; the gate's writes commit even when the operation is refused;
 * - 'skip': the operation does not run; the gate's writes commit alone.
 */
export type GateDecision = 'pass' | 'run' | 'skip';

/**
 * Asked first inside an operation's transaction, in the same unit of work (the fault rules:
 * server/faults/). A transaction may run more than once: only its last run commits.
 */
export interface Gate {
  enter(tx: Transaction): Promise<GateDecision>;
}

/** What an operation of a gated sandbox throws when its gate said 'skip': it did not run. */
export class OperationSkipped extends Error {
  constructor() {
    super('the operation did not run: its gate stopped it');
    this.name = 'OperationSkipped';
  }
}

const SKIPPED = Symbol('skipped');

/** What every operation on one job reads first: the job, and its pending deliveries (to queue its events behind them). */
const theJob = (jobId: string): Reads => ({ prefetch: { jobs: [jobId] }, pendingOfJobs: [jobId] });

export class Sandbox {
  readonly config: SandboxConfig;
  private readonly policies: SandboxPolicies;
  private readonly outbox: EventOutbox | undefined;
  private readonly listeners: EventListener[] = [];
  /** Set on a gated view only (`gated`). */
  private gate: Gate | undefined;

  constructor(
    readonly store: Store,
    config: Partial<SandboxConfig> = {},
    options: SandboxOptions = {},
  ) {
    this.config = { ...DEFAULT_SANDBOX_CONFIG, ...config };
    this.policies = { ...DEFAULT_SANDBOX_POLICIES, ...options.policies };
    this.outbox = options.outbox;
  }

  /**
   * The same sandbox, each of its operations first asking `gate` in its own transaction
   * (one view per call: the HTTP layer makes one per request).
   */
  gated(gate: Gate): Sandbox {
    const view = Object.create(this) as Sandbox;
    view.gate = gate;
    return view;
  }

  /** Job events, once committed. */
  onEvent(listener: EventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /**
   * One operation, one transaction: the outcome's writes are applied to it and its events go
   * to the outbox in it, then are published after it; a refusal is thrown once its writes
   * are committed.
   */
  private async run<T>(
    key: string,
    operation: (op: OperationContext) => Outcome<T> | Refused | Promise<Outcome<T> | Refused>,
    reads: Reads = {},
  ): Promise<T> {
    const done = await this.store.transact(
      key,
      async (tx) => {
        const outcome = await this.gatedOperation(tx, operation);
        if (outcome === SKIPPED) return outcome;
        for (const write of outcome.writes) applyWrite(tx, write);
        if ('refusal' in outcome) return outcome;
        if (outcome.events.length > 0) {
          if (this.outbox) await this.outbox.enqueue(tx, outcome.events);
          tx.afterCommit(() => this.publish(tx.tenantKey, outcome.events));
        }
        return outcome;
      },
      reads,
    );
    if (done === SKIPPED) throw new OperationSkipped();
    if ('refusal' in done) throw done.refusal;
    return done.answer;
  }

  /** A question that changes nothing: one transaction, read only (but for what its gate writes). */
  private read<T>(key: string, question: (op: OperationContext) => Promise<T>, reads: Reads = {}): Promise<T> {
    return this.run(key, async (op) => ({ answer: await question(op), writes: [], events: [] }), reads);
  }

  /**
   * The gate, then the operation, in `tx`. Once the gate has written, a refusal the operation
   * throws is returned instead, so that the gate's writes commit with it.
   */
  private async gatedOperation<T>(
    tx: Transaction,
    operation: (op: OperationContext) => Outcome<T> | Refused | Promise<Outcome<T> | Refused>,
  ): Promise<Outcome<T> | Refused | typeof SKIPPED> {
    const decision = this.gate ? await this.gate.enter(tx) : 'pass';
    if (decision === 'skip') return SKIPPED;
    try {
      return await operation(await this.context(tx));
    } catch (error) {
      if (decision === 'run' && error instanceof DomainError) return { refusal: error, writes: [] };
      throw error;
    }
  }

  private async context(tx: Transaction): Promise<OperationContext> {
    return { tx, now: clockNow(await tx.clock(), tx.realNowMs), config: this.config, policies: this.policies };
  }

  private publish(tenantRef: string, events: readonly JobEvent[]): void {
    for (const event of events) for (const listener of this.listeners) listener(tenantRef, event);
  }

  // ---- slots and jobs -----------------------------------------------------------------

  availability(key: string, request: slots.AvailabilityRequest): Promise<Schemas['Slot'][]> {
    return this.run(key, (op) => slots.availability(op, request));
  }

  checkSlot(key: string, slotId: string): Promise<Schemas['SlotCheck']> {
    return this.read(key, (op) => slots.checkSlot(op, slotId));
  }

  extendSlot(key: string, slotId: string): Promise<Schemas['SlotCheck']> {
    return this.run(key, (op) => slots.extendSlot(op, slotId));
  }

  createJob(key: string, request: jobs.CreateJobRequest, idempotencyKey?: string): Promise<jobs.CreatedJob> {
    // What a create reads, named up front: a shared store fetches it all in one round trip.
    const prefetch = { slots: [request.slot_id], idempotency: idempotencyKey === undefined ? [] : [idempotencyKey] };
    return this.run(key, (op) => jobs.createJob(op, request, idempotencyKey), { prefetch });
  }

  getJob(key: string, jobId: string): Promise<Job> {
    return this.read(key, (op) => jobs.findJob(op, jobId), theJob(jobId));
  }

  listJobs(key: string, filter: { state?: JobState; limit?: number } = {}): Promise<Job[]> {
    return this.read(key, (op) => jobs.listJobs(op, filter));
  }

  cancelJob(key: string, jobId: string, request: Schemas['CancelJobRequest'] = {}): Promise<Job> {
    return this.run(key, (op) => jobs.cancelJob(op, jobId, request), theJob(jobId));
  }

  rescheduleJob(key: string, jobId: string, request: Schemas['RescheduleJobRequest']): Promise<Job> {
    return this.run(key, (op) => jobs.rescheduleJob(op, jobId, request), theJob(jobId));
  }

  updateDeliveryCode(key: string, jobId: string, request: Schemas['UpdateDeliveryCodeRequest']): Promise<Job> {
    return this.run(key, async (op) => updateDeliveryCode(op, await jobs.findJob(op, jobId), request), theJob(jobId));
  }

  /** The sandbox driver: one step, or every step up to `to`, all or nothing. */
  advanceJob(key: string, jobId: string, request: Schemas['AdvanceJobRequest'] = {}): Promise<Job> {
    return this.run(key, (op) => advanceJob(op, jobId, request), theJob(jobId));
  }

  updatePaymentInfo(key: string, jobId: string, paymentInfo: Schemas['PaymentInfo']): Promise<Job> {
    return this.run(key, (op) => jobs.updatePaymentInfo(op, jobId, paymentInfo), theJob(jobId));
  }

  replaceExternalData(key: string, jobId: string, externalData: Schemas['ExternalData']): Promise<Job> {
    return this.run(key, (op) => jobs.replaceExternalData(op, jobId, externalData), theJob(jobId));
  }

  updateRecipientInstructions(
    key: string,
    jobId: string,
    request: Schemas['RecipientInstructionsRequest'],
  ): Promise<Job> {
    return this.run(key, (op) => jobs.updateRecipientInstructions(op, jobId, request), theJob(jobId));
  }

  // ---- clock and reset ----------------------------------------------------------------

  clock(key: string): Promise<Schemas['Clock']> {
    return this.read(key, async (op) => clockView(await op.tx.clock(), op.tx.realNowMs));
  }

  /** The clock stands still until advanced or unfrozen; freezing twice changes nothing. */
  freezeClock(key: string): Promise<Schemas['Clock']> {
    return this.changeClock(key, (state, realNowMs) => frozenClock(state, realNowMs), false);
  }

  unfreezeClock(key: string): Promise<Schemas['Clock']> {
    return this.changeClock(key, (state, realNowMs) => unfrozenClock(state, realNowMs), true);
  }

  /** By `seconds`, or to the instant `to`. */
  advanceClock(key: string, request: Schemas['AdvanceClockRequest']): Promise<Schemas['Clock']> {
    return this.changeClock(key, (state, realNowMs) => clockAdvance(state, realNowMs, request), true);
  }

  private changeClock(
    key: string,
    change: (state: ClockState, realNowMs: number) => ClockState,
    moves: boolean,
  ): Promise<Schemas['Clock']> {
    return this.store.transact(key, async (tx) => {
      const next = change(await tx.clock(), tx.realNowMs);
      tx.setClock(next);
      const outbox = this.outbox;
      if (moves && outbox) tx.afterCommit(() => outbox.clockMoved(key));
      return clockView(next, tx.realNowMs);
    });
  }

  reset(key: string): Promise<void> {
    return this.store.drop(key);
  }
}

/** Puts or deletes one record, in the set of its kind. */
function applyWrite<K extends RecordKind>(tx: RecordSets<DomainRecords>, write: RecordWrite<K>): void {
  const set = tx[write.kind];
  if ('put' in write) set.put(write.put);
  else set.delete(write.delete);
}
