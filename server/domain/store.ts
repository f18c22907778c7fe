/**
 * Where tenant state lives. The domain sees only these interfaces, and the in-memory
 * implementation below is the only one. The domain still changes the records it reads in
 * place and counts on that being the stored state, so a persistent or shared store needs
 * the domain to write whole records back first.
 */
import { createHash } from 'node:crypto';
import { TenantClock, type TimeSource } from './clock';
import { DomainError } from './errors';
import type { Schemas } from '../../spec/contract';

export type Job = Schemas['Job'];
export type Slot = Schemas['Slot'];

export interface Collection<T> {
  get(id: string): T | undefined;
  set(id: string, value: T): void;
  delete(id: string): boolean;
  /** In insertion order, oldest first. */
  values(): IterableIterator<T>;
  readonly size: number;
}

/** What a slot remembers of the availability request it answered. */
export type Quote = Pick<Schemas['AvailabilityRequest'], 'origin' | 'destination' | 'job_items' | 'currency_code'>;

/** Kept as numbers and shared references: tenants hold many slots, so each must be small. */
export interface SlotRecord {
  id: string;
  fromMs: number;
  toMs: number;
  operationalModel: Slot['operational_model'];
  store: Slot['store'];
  expiresAtMs: number;
  originalExpiresAtMs: number;
  extended: boolean;
  usedByJobId: string | null;
  quote: Quote;
}

export interface IdempotencyRecord {
  fingerprint: string;
  expiresAtMs: number;
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/** A webhook endpoint as stored: the contract's shape, secret included. */
export type EndpointRecord = Schemas['WebhookEndpointWithSecret'];

/**
 * A delivery as stored: the contract's `WebhookDelivery`, with the next attempt as a number
 * on the tenant clock and the payload kept as the exact text sent rather than re-parsed.
 */
export type DeliveryRecord = Omit<Schemas['WebhookDelivery'], 'next_attempt_at' | 'payload'> & {
  nextAttemptAtMs: number | null;
  /** The exact bytes sent, the same on every attempt. */
  payloadText: string;
  /** Production's signature covers only id, created_at and type, so it never changes. */
  instaLeapSignature: string;
};

export interface TenantState {
  /** The API key that opened the tenant. Never shown to anyone. */
  readonly key: string;
  /** The account id shown in webhook payloads. */
  readonly clientId: string;
  readonly clock: TenantClock;
  readonly slots: Collection<SlotRecord>;
  readonly jobs: Collection<Job>;
  readonly idempotency: Collection<IdempotencyRecord>;
  readonly endpoints: Collection<EndpointRecord>;
  readonly deliveries: Collection<DeliveryRecord>;
  /** Jobs not yet CLIENT_RECEIVED or CANCELLED. */
  unfinishedJobs: number;
}

export interface Store {
  /** The tenant of this key, opened on first use. */
  tenant(key: string): TenantState;
  /** Forgets the tenant entirely; the next use opens it afresh. */
  drop(key: string): void;
  tenants(): IterableIterator<TenantState>;
  /** Called with each tenant the store forgets (reset or eviction), after it is gone. */
  onDrop(listener: (tenant: TenantState) => void): void;
}

export interface StoreLimits {
  /**
   * Tenants kept at once. Any non-empty key opens a tenant, so without a bound a stranger
   * could fill memory; when full, opening one evicts the least recently used idle tenant.
   */
  maxTenants: number;
}

export const DEFAULT_STORE_LIMITS: StoreLimits = { maxTenants: 10_000 };

/** How many of the least recently used tenants are looked at for an idle one. */
const EVICTION_SCAN = 64;

/** Idle: no webhook delivery still pending, so forgetting it loses nothing in flight. */
function isIdle(tenant: TenantState): boolean {
  for (const delivery of tenant.deliveries.values()) if (delivery.status === 'PENDING') return false;
  return true;
}

class MapCollection<T> implements Collection<T> {
  private readonly map = new Map<string, T>();
  get(id: string) { return this.map.get(id); }
  set(id: string, value: T) { this.map.set(id, value); }
  delete(id: string) { return this.map.delete(id); }
  values() { return this.map.values(); }
  get size() { return this.map.size; }
}

export function clientIdFor(key: string): string {
  return `acct_${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

export class InMemoryStore implements Store {
  /** Least recently used first. */
  private readonly byKey = new Map<string, TenantState>();
  private readonly dropListeners: Array<(tenant: TenantState) => void> = [];

  constructor(private readonly realNow: TimeSource = Date.now, private readonly limits: StoreLimits = DEFAULT_STORE_LIMITS) {}

  tenant(key: string): TenantState {
    let state = this.byKey.get(key);
    if (state) {
      this.byKey.delete(key);
      this.byKey.set(key, state);
    } else {
      this.makeRoom();
      state = {
        key,
        clientId: clientIdFor(key),
        clock: new TenantClock(this.realNow),
        slots: new MapCollection(),
        jobs: new MapCollection(),
        idempotency: new MapCollection(),
        endpoints: new MapCollection(),
        deliveries: new MapCollection(),
        unfinishedJobs: 0,
      };
      this.byKey.set(key, state);
    }
    return state;
  }

  private makeRoom(): void {
    if (this.byKey.size < this.limits.maxTenants) return;
    let scanned = 0;
    for (const [key, state] of this.byKey) {
      if (isIdle(state)) {
        this.drop(key);
        return;
      }
      if (++scanned >= EVICTION_SCAN) break;
    }
    throw new DomainError('TENANT_FULL', `The sandbox holds ${this.byKey.size} tenants, the most allowed, and none is idle; try again later`);
  }

  drop(key: string): void {
    const state = this.byKey.get(key);
    if (!state) return;
    this.byKey.delete(key);
    for (const listener of this.dropListeners) listener(state);
  }

  tenants() {
    return this.byKey.values();
  }

  onDrop(listener: (tenant: TenantState) => void): void {
    this.dropListeners.push(listener);
  }
}
