/**
 * A tenant's fault rules as operations: each one transaction on the store, so every
 * instance sharing it sees the same rules and counts every firing once (a rule with
 * `times: N` fires N times in all, however many instances serve the tenant).
 */
import { randomInt } from 'node:crypto';
import type { Schemas } from '../../spec/contract';
import type { Gate, GateDecision } from '../application/sandbox';
import type { FaultableOperation, FaultRecord, FaultStore, FaultTransaction } from './records';
import { createFaultRule, deleteFaultRule, faultView, firingRule, listFaultRules } from './rules';

export class FaultRules {
  constructor(private readonly store: FaultStore) {}

  create(key: string, request: Schemas['FaultRuleRequest']): Promise<Schemas['FaultRule']> {
    return this.store.transact(key, (tx) => createFaultRule(tx, request, () => randomInt(0, 2 ** 32))).then(faultView);
  }

  list(key: string): Promise<Schemas['FaultRule'][]> {
    return this.store.transact(key, listFaultRules);
  }

  delete(key: string, faultId: string): Promise<void> {
    return this.store.transact(key, (tx) => deleteFaultRule(tx, faultId));
  }

  /**
   * The gate of one call of `operationId`: in the operation's own transaction, the rule that
   * fires on it, if any, its firing counted there (see `firingRule`).
   */
  gate(operationId: FaultableOperation, body: unknown): FaultGate {
    return new FaultGate(operationId, body);
  }
}

/**
 * One call's fault decision, made inside its operation's transaction, so that deciding costs
 * no transaction of its own and a firing commits with what the operation did: a rule firing
 * `before` stops the operation (the transaction commits the firing alone); one firing `after`
 * lets it run.
 */
export class FaultGate implements Gate {
  /** The rule that fired, once the transaction that fired it has committed. */
  fired: FaultRecord | null = null;

  constructor(
    private readonly operationId: FaultableOperation,
    private readonly body: unknown,
  ) {}

  async enter(tx: FaultTransaction): Promise<GateDecision> {
    const { rule, wrote } = await firingRule(tx, this.operationId, this.body);
    // Known once committed: a run that fails or runs again fired nothing.
    if (rule) tx.afterCommit(() => (this.fired = rule));
    if (rule?.phase === 'before') return 'skip';
    return wrote ? 'run' : 'pass';
  }
}
