/**
 * RFC 3339 date-times as exact instants: nanoseconds since the epoch, as a bigint, at the
 * precision the implementation wrote them (any fraction of a second, any offset), read by the
 * contract's own parser; the model's due times and clock moves are bigint arithmetic on these.
 */
import { tryInstant } from '../../spec/contract/instant';

export const NS_PER_MS = 1_000_000n;
export const NS_PER_S = 1_000_000_000n;

/** The instant a date-time denotes, or undefined when it is not an RFC 3339 date-time. */
export function instant(text: unknown): bigint | undefined {
  const at = tryInstant(text);
  return at && BigInt(at.seconds) * NS_PER_S + BigInt(at.nanos);
}

/** An instant as text, to the nanosecond, in UTC. */
export function show(ns: bigint): string {
  const ms = ns / NS_PER_MS - (ns % NS_PER_MS < 0n ? 1n : 0n);
  const rest = ns - ms * NS_PER_MS;
  const base = new Date(Number(ms)).toISOString().slice(0, 23);
  return `${base}${rest === 0n ? '' : String(rest).padStart(6, '0')}Z`;
}

/** The whole seconds to advance a clock at `now` so that it lands at or after `target` (at least 1). */
export function secondsToReach(now: bigint, target: bigint): number {
  const gap = target - now;
  return Math.max(1, Number(gap <= 0n ? 0n : (gap + NS_PER_S - 1n) / NS_PER_S));
}
