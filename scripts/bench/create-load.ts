/**
 * What the create-job benchmarks (`bench`, `bench:store`) share: the set-up requests, held
 * slots for a whole run, and POST /jobs requests that each take a fresh slot.
 */
import type autocannon from 'autocannon';
import { spec } from '../../spec/contract';

/** A week of 15-minute slots: many slots per availability call. */
export const WEEK = {
  ...spec.components.examples.AvailabilityRequest.value,
  start: '2026-12-01T00:00:00Z',
  end: '2026-12-07T23:00:00Z',
  slot_size: 15 as const,
};
export const ORDER = spec.components.examples.CreateJobRequestMinimal.value;

export interface HeldSlot {
  key: string;
  slot: string;
}

// any: set-up answers of several operations, read for one field each.
export async function json(url: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url} → ${res.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

export const post = (url: string, key: string, body: unknown, extra: Record<string, string> = {}) =>
  json(url, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json', ...extra },
    body: JSON.stringify(body),
  });

/** Enough held slots for a whole run of creates, spread over tenants (`<keyPrefix>-<n>`) so none fills up. */
export async function heldSlots(url: string, keyPrefix: string, needed: number): Promise<HeldSlot[]> {
  const out: HeldSlot[] = [];
  const perTenant = 5000;
  for (let t = 0; out.length < needed; t++) {
    const key = `${keyPrefix}-${t}`;
    for (let n = 0; n < perTenant && out.length < needed;) {
      const slots: Array<{ id: string }> = await post(`${url}/jobs/availability/v2`, key, WEEK);
      for (const s of slots) out.push({ key, slot: s.id });
      n += slots.length;
    }
  }
  return out;
}

/** POST /jobs, each request on the next held slot. */
export function createRequests(pairs: HeldSlot[]): autocannon.Request[] {
  let next = 0;
  return [
    {
      method: 'POST',
      path: '/jobs',
      setupRequest: (req) => {
        const pair = pairs[next++ % pairs.length];
        req.headers = { 'content-type': 'application/json', 'x-api-key': pair.key };
        req.body = JSON.stringify({ ...ORDER, slot_id: pair.slot });
        return req;
      },
    },
  ];
}
