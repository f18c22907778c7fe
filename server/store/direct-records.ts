/**
 * One kind of a tenant's records, as a memory-store transaction writes them: straight into
 * the tenant's map, with what each changed record was before kept aside. The memory store
 * runs a tenant's transactions one after another, so no other transaction can see a write
 * before the commit; a function that throws has its writes undone. Deletes are only marked
 * until the commit, so that undoing one never moves a record in the map's order.
 *
 * Reads, counts and lists see the transaction's own writes, as the store contract says
 * (server/domain/store.ts); the Redis store keeps them in a write buffer instead, and so do
 * the memory store's deliveries, read through a CommittedMap (below).
 */
import type { RecordSet } from '../domain/store';
import type { CommittedRecords, TransactionWrites } from './write-buffer';

/** The record as it was before this transaction, or ABSENT when it did not exist. */
const ABSENT = Symbol('absent');

export class DirectRecordSet<T extends { id: string }> implements RecordSet<T>, TransactionWrites<T> {
  private before: Map<string, T | typeof ABSENT> | null = null;
  private deleted: Set<string> | null = null;

  constructor(
    private readonly map: Map<string, T>,
    private readonly keep: (record: T) => T,
  ) {}

  async get(id: string): Promise<T | undefined> {
    return this.deleted?.has(id) ? undefined : this.map.get(id);
  }

  private remember(id: string): void {
    this.before ??= new Map();
    if (!this.before.has(id)) this.before.set(id, this.map.get(id) ?? ABSENT);
  }

  put(record: T): void {
    this.remember(record.id);
    this.deleted?.delete(record.id);
    this.map.set(record.id, this.keep(record));
  }

  delete(id: string): void {
    if (!this.map.has(id) || this.deleted?.has(id)) return;
    this.remember(id);
    // Made in this transaction: nothing to keep its place for.
    if (this.before!.get(id) === ABSENT) this.map.delete(id);
    else (this.deleted ??= new Set()).add(id);
  }

  async count(): Promise<number> {
    return this.map.size - (this.deleted?.size ?? 0);
  }

  async *list(order: 'oldest' | 'newest'): AsyncIterable<T> {
    if (order === 'oldest') {
      for (const record of this.map.values()) if (!this.deleted?.has(record.id)) yield record;
      return;
    }
    const all = [...this.map.values()];
    for (let i = all.length - 1; i >= 0; i--) if (!this.deleted?.has(all[i].id)) yield all[i];
  }

  /** Whether this transaction wrote any record of the kind. */
  get changed(): boolean {
    return this.before !== null;
  }

  writtenIds(): Iterable<string> {
    return this.before?.keys() ?? [];
  }

  written(id: string): T | null | undefined {
    if (!this.before?.has(id)) return undefined;
    return this.deleted?.has(id) ? null : (this.map.get(id) ?? null);
  }

  /** The deletes take effect. */
  commit(): void {
    if (this.deleted) for (const id of this.deleted) this.map.delete(id);
  }

  /** Every record this transaction changed is as it was; those it made are gone. */
  rollback(): void {
    if (!this.before) return;
    for (const [id, was] of this.before) {
      if (was === ABSENT) this.map.delete(id);
      else this.map.set(id, was);
    }
  }
}

/** A tenant's committed records of one kind, as a transaction's buffer reads them. */
export class CommittedMap<T extends { id: string }> implements CommittedRecords<T> {
  constructor(private readonly map: Map<string, T>) {}

  async get(id: string): Promise<T | undefined> {
    return this.map.get(id);
  }

  async count(): Promise<number> {
    return this.map.size;
  }

  knownToExist(id: string): boolean {
    return this.map.has(id);
  }

  async *list(order: 'oldest' | 'newest'): AsyncIterable<T> {
    if (order === 'oldest') {
      yield* this.map.values();
      return;
    }
    const all = [...this.map.values()];
    for (let i = all.length - 1; i >= 0; i--) yield all[i];
  }
}
