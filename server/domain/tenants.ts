/**
 * How the server names a tenant outside the request that carries its API key: by the key's
 * keyed hash, HMAC-SHA-256 under the tenant-hash key (`--tenant-hash-key`), hex. The stores
 * keep and index tenants only by it, the outbox schedules by it, and the relay names it, so
 * that whoever reads the store's contents cannot act as any tenant.
 *
 * A tenant reference, as the stores and the outbox take it, is either an API key (from a
 * request) or `refOf(key)`: the hash behind a NUL, which no HTTP header can carry, so no
 * reference is ever taken for a key.
 */
import { createHmac } from 'node:crypto';

/** The key every instance uses when none is set: fit for a laptop, not for a hosted sandbox. */
export const DEFAULT_TENANT_HASH_KEY = 'lastmile-sandbox-tenant-hash';

const REF_MARK = '\u0000';

export class TenantIds {
  constructor(private readonly hashKey: string = DEFAULT_TENANT_HASH_KEY) {}

  /** The tenant's id (64 hex digits), from its API key or a reference. */
  idOf(keyOrRef: string): string {
    if (isTenantRef(keyOrRef)) return keyOrRef.slice(REF_MARK.length);
    return createHmac('sha256', this.hashKey).update(keyOrRef).digest('hex');
  }

  /** The reference naming the tenant without its key. */
  refOf(keyOrRef: string): string {
    return isTenantRef(keyOrRef) ? keyOrRef : REF_MARK + this.idOf(keyOrRef);
  }
}

/** The reference of a tenant id read back from a store's index. */
export function refOfId(id: string): string {
  return REF_MARK + id;
}

export function isTenantRef(keyOrRef: string): boolean {
  return keyOrRef.startsWith(REF_MARK);
}
