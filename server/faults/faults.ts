/**
 * A tenant's fault rules as operations: each one transaction on the store, so every
 * instance sharing it sees the same rules and counts every firing once (a rule with
 * `times: N` fires N times in all, however many instances serve the tenant).
 */
import { randomInt } from 'node:crypto';
import type { Schemas } from '../../spec/contract';
import type { FaultableOperation, FaultRecord, FaultStore } from './records';
import { createFaultRule, deleteFaultRule, faultView, firingRule, listFaultRules } from './rules';

export type FaultListener = (tenantKey: string, rule: Schemas['FaultRule']) => void;

export class FaultRules {
  private readonly listeners: FaultListener[] = [];

  constructor(private readonly store: FaultStore) {}

  create(key: string, request: Schemas['FaultRuleRequest']): Promise<Schemas['FaultRule']> {
    return this.store
      .transact(key, (tx) => createFaultRule(tx, request, () => randomInt(0, 2 ** 32)))
      .then((rule) => {
        const view = faultView(rule);
        this.publish(key, view);
        return view;
      });
  }

  list(key: string): Promise<Schemas['FaultRule'][]> {
    return this.store.transact(key, listFaultRules);
  }

  delete(key: string, faultId: string): Promise<void> {
    return this.store.transact(key, (tx) => deleteFaultRule(tx, faultId));
  }

  /** The rule that fires on this call, its firing counted; null when none does (or the tenant has none). */
  async fire(key: string, operationId: FaultableOperation, body: unknown): Promise<FaultRecord | null> {
    const rule = await this.store.transact(key, (tx) => firingRule(tx, operationId, body), { existingOnly: true });
    if (!rule) return null;
    this.publish(key, faultView(rule));
    return rule;
  }

  /** Rules as they are created and as they fire (the console's live counts). */
  onChange(listener: FaultListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  private publish(key: string, rule: Schemas['FaultRule']): void {
    for (const listener of this.listeners) listener(key, rule);
  }
}
