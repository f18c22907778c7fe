/**
 * The delivery log as the API shows it, and the chains it implies: a job's deliveries to
 * one endpoint go out in order, so the oldest pending one (the head) is the only one sent
 * and the others wait behind it.
 */
import type { Schemas } from '../../spec/contract';
import { iso } from '../domain/clock';
import type { DeliveryRecord, WebhookTransaction as Transaction } from './records';

export function chainKey(delivery: Pick<DeliveryRecord, 'endpoint_id' | 'job_id'>): string {
  return `${delivery.endpoint_id} ${delivery.job_id}`;
}

/** Pending deliveries by chain, oldest first; a delivery sent again by hand is in none. */
export function chainsOf(pending: readonly DeliveryRecord[]): Map<string, DeliveryRecord[]> {
  const chains = new Map<string, DeliveryRecord[]>();
  for (const delivery of pending) {
    if (delivery.outsideChain) continue;
    const key = chainKey(delivery);
    const chain = chains.get(key);
    if (chain) chain.push(delivery);
    else chains.set(key, [delivery]);
  }
  return chains;
}

/** The oldest pending delivery of the chain (endpoint, job) this one belongs to, read from its job's pending deliveries. */
export async function chainHead(
  tx: Transaction,
  delivery: Pick<DeliveryRecord, 'endpoint_id' | 'job_id'>,
): Promise<DeliveryRecord | undefined> {
  return chainsOf(await tx.pendingDeliveries.ofJob(delivery.job_id)).get(chainKey(delivery))?.[0];
}

/** The head of the chain a pending delivery waits in, when it is not the head itself. */
export function waitingFor(chains: Map<string, DeliveryRecord[]>, delivery: DeliveryRecord): string | undefined {
  if (delivery.status !== 'PENDING' || delivery.outsideChain) return undefined;
  const head = chains.get(chainKey(delivery))?.[0];
  return head && head.id !== delivery.id ? head.id : undefined;
}

export function deliveryView(d: DeliveryRecord, waiting?: string): Schemas['WebhookDelivery'] {
  const out: Schemas['WebhookDelivery'] = {
    id: d.id,
    endpoint_id: d.endpoint_id,
    url: d.url,
    event_id: d.event_id,
    event_type: d.event_type,
    job_id: d.job_id,
    status: d.status,
    attempts: d.attempts.map((a) => ({ ...a })),
    next_attempt_at: d.nextAttemptAtMs === null ? null : iso(d.nextAttemptAtMs),
    created_at: d.created_at,
    payload: JSON.parse(d.payloadText) as Schemas['WebhookDelivery']['payload'],
  };
  if (d.last_response_body !== undefined) out.last_response_body = d.last_response_body;
  if (waiting !== undefined) out.waiting_for = waiting;
  return out;
}

export type DeliveryFilter = { job_id?: string; status?: Schemas['DeliveryStatus']; limit?: number };

export async function listDeliveries(
  tx: Transaction,
  filter: DeliveryFilter = {},
): Promise<Schemas['WebhookDelivery'][]> {
  const limit = filter.limit ?? 100;
  const out: Schemas['WebhookDelivery'][] = [];
  if (limit <= 0) return out;
  // With a job asked for, only its own pending deliveries can hold the chains its deliveries wait in.
  const chains = chainsOf(
    await (filter.job_id === undefined ? tx.pendingDeliveries.all() : tx.pendingDeliveries.ofJob(filter.job_id)),
  );
  for await (const d of tx.deliveries.list('newest')) {
    if (
      (filter.job_id === undefined || d.job_id === filter.job_id) &&
      (filter.status === undefined || d.status === filter.status)
    ) {
      out.push(deliveryView(d, waitingFor(chains, d)));
      if (out.length >= limit) break;
    }
  }
  return out;
}

/**
 * Adds a transaction's new deliveries to the log. When they would take it past
 * `maxPerTenant`, the oldest finished deliveries make room, in one pass over the log
 * whatever the number added (an event to several endpoints, or a step through several
 * states, adds many at once). Pending ones are never forgotten.
 */
export async function remember(
  tx: Transaction,
  deliveries: readonly DeliveryRecord[],
  maxPerTenant: number,
): Promise<void> {
  let excess = (await tx.deliveries.count()) + deliveries.length - maxPerTenant;
  if (excess > 0) {
    for await (const old of tx.deliveries.list('oldest')) {
      if (old.status === 'PENDING') continue;
      tx.deliveries.delete(old.id);
      if (--excess <= 0) break;
    }
  }
  for (const delivery of deliveries) tx.deliveries.put(delivery);
}
