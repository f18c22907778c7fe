/** A tenant's webhook endpoints: at most a few, each with its signing secret (shown once). */
import { randomBytes } from 'node:crypto';
import type { Schemas } from '../../spec/contract';
import { clockNow, iso } from '../domain/clock';
import { DomainError } from '../domain/errors';
import { newId } from '../domain/ids';
import type { DeliveryRecord, EndpointRecord, WebhookTransaction as Transaction } from './records';
import { chainsOf } from './delivery-log';

/** The webhook faults an endpoint may be given (Standard Webhooks receivers' bad days). */
export type EndpointFaults = Pick<Schemas['UpdateWebhookEndpointRequest'], 'duplicate' | 'delay_ms'>;

export async function createEndpoint(
  tx: Transaction,
  url: URL,
  secret: string | undefined,
  maxPerTenant: number,
  faults: EndpointFaults = {},
): Promise<EndpointRecord> {
  if ((await tx.endpoints.count()) >= maxPerTenant) {
    throw new DomainError('WEBHOOK_ENDPOINT_LIMIT', `At most ${maxPerTenant} webhook endpoints per tenant`);
  }
  const now = clockNow(await tx.clock(), tx.realNowMs);
  const endpoint: EndpointRecord = {
    id: newId('whe'),
    url: url.toString(),
    secret: secret ?? `whsec_${randomBytes(24).toString('base64')}`,
    created_at: iso(now),
    duplicate: faults.duplicate ?? false,
    delay_ms: faults.delay_ms ?? 0,
  };
  tx.endpoints.put(endpoint);
  return endpoint;
}

/** An endpoint as listed: everything but the secret. */
export function endpointView({ id, url, created_at, duplicate, delay_ms }: EndpointRecord): Schemas['WebhookEndpoint'] {
  return { id, url, created_at, duplicate: duplicate ?? false, delay_ms: delay_ms ?? 0 };
}

export async function listEndpoints(tx: Transaction): Promise<Schemas['WebhookEndpoint'][]> {
  const out: Schemas['WebhookEndpoint'][] = [];
  for await (const endpoint of tx.endpoints.list('oldest')) out.push(endpointView(endpoint));
  return out;
}

/** Sets an endpoint's webhook faults; a field left out keeps its value. */
export async function updateEndpoint(
  tx: Transaction,
  endpointId: string,
  faults: EndpointFaults,
): Promise<Schemas['WebhookEndpoint']> {
  const endpoint = await tx.endpoints.get(endpointId);
  if (!endpoint) throw new DomainError('WEBHOOK_ENDPOINT_NOT_FOUND', `Webhook endpoint ${endpointId} not found`);
  const next: EndpointRecord = {
    ...endpoint,
    duplicate: faults.duplicate ?? endpoint.duplicate ?? false,
    delay_ms: faults.delay_ms ?? endpoint.delay_ms ?? 0,
  };
  tx.endpoints.put(next);
  return endpointView(next);
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
