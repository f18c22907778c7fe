/**
 * The part of a transaction every store shares: writes buffered until commit, and reads
 * that see them (a transaction reads its own writes) on top of what is committed.
 */
import type { RecordSet } from '../domain/store';
import type { DeliveryRecord, PendingDeliveries } from '../webhooks/records';

/** What is committed, as one store reads it. */
export interface CommittedRecords<T> {
  get(id: string): Promise<T | undefined>;
  count(): Promise<number>;
  list(order: 'oldest' | 'newest'): AsyncIterable<T>;
  /** Whether the id is committed, when the store can tell without a read. */
  knownToExist?(id: string): boolean;
}

/** What one transaction wrote of one kind, however its store keeps it. */
export interface TransactionWrites<T> {
  /** The ids written (put or deleted), in the order first written. */
  writtenIds(): Iterable<string>;
  /** The record as written, null when deleted, undefined when this transaction did not write it. */
  written(id: string): T | null | undefined;
}

const DELETED = Symbol('deleted');

export class BufferedRecordSet<T extends { id: string }> implements RecordSet<T>, TransactionWrites<T> {
  /** id → the record put, or DELETED; in the order first written. */
  readonly writes = new Map<string, T | typeof DELETED>();
  /** Ids read (or known) to be committed, and whether they were; made on the first read. */
  private committed: Map<string, boolean> | null = null;

  constructor(protected readonly source: CommittedRecords<T>) {}

  async get(id: string): Promise<T | undefined> {
    const written = this.writes.get(id);
    if (written !== undefined) return written === DELETED ? undefined : written;
    const found = await this.source.get(id);
    (this.committed ??= new Map()).set(id, found !== undefined);
    return found;
  }

  put(record: T): void {
    this.writes.set(record.id, record);
  }

  delete(id: string): void {
    this.writes.set(id, DELETED);
  }

  writtenIds(): Iterable<string> {
    return this.writes.keys();
  }

  written(id: string): T | null | undefined {
    const value = this.writes.get(id);
    return value === DELETED ? null : value;
  }

  private wasCommitted(id: string): boolean {
    return this.committed?.get(id) ?? this.source.knownToExist?.(id) ?? false;
  }

  async count(): Promise<number> {
    let n = await this.source.count();
    for (const [id, value] of this.writes) {
      const before = this.wasCommitted(id);
      if (value === DELETED && before) n -= 1;
      else if (value !== DELETED && !before) n += 1;
    }
    return n;
  }

  async *list(order: 'oldest' | 'newest'): AsyncIterable<T> {
    const added = [...this.writes]
      .filter(([id, value]) => value !== DELETED && !this.wasCommitted(id))
      .map(([, value]) => value as T);
    if (order === 'newest') for (let i = added.length - 1; i >= 0; i--) yield added[i];
    for await (const record of this.source.list(order)) {
      const written = this.writes.get(record.id);
      if (written === DELETED) continue;
      yield written ?? record;
    }
    if (order === 'oldest') yield* added;
  }

  /** Puts (not deletes) to commit, in the order first written. */
  puts(): T[] {
    const out: T[] = [];
    for (const value of this.writes.values()) if (value !== DELETED) out.push(value);
    return out;
  }

  deletes(): string[] {
    const out: string[] = [];
    for (const [id, value] of this.writes) if (value === DELETED) out.push(id);
    return out;
  }
}

/** The pending deliveries as a transaction sees them: the committed ones, with its own writes on top. */
export class BufferedPendingDeliveries implements PendingDeliveries {
  /** What `nextDueAt` was told; undefined when it was not. */
  nextDue: number | null | undefined = undefined;

  constructor(
    private readonly deliveries: TransactionWrites<DeliveryRecord>,
    private readonly committedPending: () => Promise<DeliveryRecord[]>,
    private readonly committedPendingOfJob: (jobId: string) => Promise<DeliveryRecord[]> = async (jobId) =>
      (await committedPending()).filter((d) => d.job_id === jobId),
  ) {}

  all(): Promise<DeliveryRecord[]> {
    return this.withWrites(this.committedPending(), () => true);
  }

  nextDueAt(realMs: number | null): void {
    this.nextDue = realMs;
  }

  ofJob(jobId: string): Promise<DeliveryRecord[]> {
    return this.withWrites(this.committedPendingOfJob(jobId), (record) => record.job_id === jobId);
  }

  /** The committed pending records as this transaction has changed them, then the ones it made pending. */
  private async withWrites(
    committedPending: Promise<DeliveryRecord[]>,
    belongs: (record: DeliveryRecord) => boolean,
  ): Promise<DeliveryRecord[]> {
    const writes = this.deliveries;
    const out: DeliveryRecord[] = [];
    const seen = new Set<string>();
    for (const record of await committedPending) {
      seen.add(record.id);
      const written = writes.written(record.id);
      if (written === undefined) out.push(record);
      else if (written !== null && written.status === 'PENDING') out.push(written);
    }
    for (const id of writes.writtenIds()) {
      if (seen.has(id)) continue;
      const written = writes.written(id);
      if (written && written.status === 'PENDING' && belongs(written)) out.push(written);
    }
    return out;
  }
}
