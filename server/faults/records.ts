/**
 * What the fault rules keep in the store: one record per rule, firing count and the state
 * of its seeded sequence included, so that every instance sharing the store agrees on
 * both. The kind is registered with the rest in server/store/records.ts.
 */
import type { Schemas } from '../../spec/contract';
import type { RecordSets, TransactionCore } from '../domain/store';

export type FaultableOperation = Schemas['FaultableOperation'];

/** A rule as stored: the contract's `FaultRule`, with where its seeded sequence stands. */
export type FaultRecord = Schemas['FaultRule'] & {
  /** The sequence's state after the last matching call; the seed before the first. */
  rngState?: number;
};

/** Every kind of record the fault rules keep, by the name a transaction gives its set. */
export interface FaultRecords {
  faults: FaultRecord;
}

/** A transaction as the fault rules see it. */
export type FaultTransaction = TransactionCore & RecordSets<FaultRecords>;

/** The part of the store the fault rules use (their firing goes through the operation's own transaction). */
export interface FaultStore {
  transact<T>(tenantKey: string, fn: (tx: FaultTransaction) => Promise<T>): Promise<T>;
}
