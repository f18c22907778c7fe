/** A tenant's webhook endpoints: at most a few, each with its signing secret (shown once). */
import { randomBytes } from 'node:crypto';
import type { Schemas } from '../../spec/contract';
import { clockNow, iso } from '../domain/clock';
import { DomainError } from '../domain/errors';
import { newId } from '../domain/ids';
import type { DeliveryRecord, EndpointRecord, WebhookTransaction as Transaction } from './records';
import { chainsOf } from './delivery-log';
import { relayConnected, relayExpired, type RelayTiming } from './relay';

/** The webhook faults an endpoint may be given (Standard Webhooks receivers' bad days). */
export type EndpointFaults = Pick<Schemas['UpdateWebhookEndpointRequest'], 'duplicate' | 'delay_ms'>;

/**
 * A new endpoint: one at `url`, or a relay endpoint (`url` absent) with no stream yet, whose
 * grace period starts now.
 */
export async function createEndpoint(
  tx: Transaction,
  url: URL | null,
  secret: string | undefined,
  maxPerTenant: number,
  relayTiming: RelayTiming,
  faults: EndpointFaults = {},
): Promise<EndpointRecord> {
  const now = clockNow(await tx.clock(), tx.realNowMs);
  // A relay gone past its grace frees its place before the limit is counted.
  await expireRelays(tx, now, relayTiming);
  if ((await tx.endpoints.count()) >= maxPerTenant) {
    throw new DomainError('WEBHOOK_ENDPOINT_LIMIT', `At most ${maxPerTenant} webhook endpoints per tenant`);
  }
  const id = newId('whe');
  const endpoint: EndpointRecord = {
    id,
    url: url === null ? `relay:${id}` : url.toString(),
    secret: secret ?? `whsec_${randomBytes(24).toString('base64')}`,
    created_at: iso(now),
    duplicate: faults.duplicate ?? false,
    delay_ms: faults.delay_ms ?? 0,
    ...(url === null ? { relay: { holder: null, seenRealMs: tx.realNowMs, seenAtMs: now } } : {}),
  };
  tx.endpoints.put(endpoint);
  return endpoint;
}

/** An endpoint as the API shows it: never its secret, a relay's connection as `connected`. */
export function endpointView(
  endpoint: EndpointRecord,
  realNowMs: number,
  heartbeatMs: number,
): Schemas['WebhookEndpoint'] {
  const { id, url, created_at, relay } = endpoint;
  const view = { id, url, created_at, duplicate: endpoint.duplicate ?? false, delay_ms: endpoint.delay_ms ?? 0 };
  return relay ? { ...view, relay: { connected: relayConnected(relay, realNowMs, heartbeatMs) } } : view;
}

export async function listEndpoints(tx: Transaction, heartbeatMs: number): Promise<Schemas['WebhookEndpoint'][]> {
  const out: Schemas['WebhookEndpoint'][] = [];
  for await (const endpoint of tx.endpoints.list('oldest')) out.push(endpointView(endpoint, tx.realNowMs, heartbeatMs));
  return out;
}

/** Sets an endpoint's webhook faults; a field left out keeps its value. */
export async function updateEndpoint(
  tx: Transaction,
  endpointId: string,
  faults: EndpointFaults,
  heartbeatMs: number,
): Promise<Schemas['WebhookEndpoint']> {
  const endpoint = await tx.endpoints.get(endpointId);
  if (!endpoint) throw new DomainError('WEBHOOK_ENDPOINT_NOT_FOUND', `Webhook endpoint ${endpointId} not found`);
  const next: EndpointRecord = {
    ...endpoint,
    duplicate: faults.duplicate ?? endpoint.duplicate ?? false,
    delay_ms: faults.delay_ms ?? endpoint.delay_ms ?? 0,
  };
  tx.endpoints.put(next);
  return endpointView(next, tx.realNowMs, heartbeatMs);
}

/** Removes the tenant's relay endpoints gone without a stream past their grace; their pending deliveries are dead-lettered. */
export async function expireRelays(tx: Transaction, tenantNowMs: number, timing: RelayTiming): Promise<string[]> {
  const expired: string[] = [];
  for await (const endpoint of tx.endpoints.list('oldest')) {
    if (endpoint.relay && relayExpired(endpoint.relay, tx.realNowMs, tenantNowMs, timing)) expired.push(endpoint.id);
  }
  for (const id of expired) await deleteEndpoint(tx, id);
  return expired;
}

/** Deletes the endpoint; what was still queued for it is dead-lettered. */
export async function deleteEndpoint(tx: Transaction, endpointId: string): Promise<void> {
  if (!(await tx.endpoints.get(endpointId)))
    throw new DomainError('WEBHOOK_ENDPOINT_NOT_FOUND', `Webhook endpoint ${endpointId} not found`);
  tx.endpoints.delete(endpointId);
  for (const chain of chainsOf(await tx.pendingDeliveries.all()).values()) {
    if (chain[0].endpoint_id !== endpointId) continue;
    for (const delivery of chain) tx.deliveries.put(finished(delivery, 'DEAD_LETTERED'));
  }
}

export function finished(
  delivery: DeliveryRecord,
  status: Extract<Schemas['DeliveryStatus'], 'SUCCEEDED' | 'DEAD_LETTERED'>,
): DeliveryRecord {
  const { outsideChain: _sentByHand, ...rest } = delivery;
  return { ...rest, status, nextAttemptAtMs: null, lease: null };
}
