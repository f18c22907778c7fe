/**
 * RFC 3339 date-times as exact instants: nanoseconds since the epoch, as a bigint, at the
 * precision the implementation wrote them (any fraction of a second, any offset). `Date.parse`
 * drops everything past the millisecond; due times and clock moves are computed with these.
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|([+-])(\d{2}):(\d{2}))$/;

export const NS_PER_MS = 1_000_000n;
export const NS_PER_S = 1_000_000_000n;

/** The instant a date-time denotes, or undefined when it is not an RFC 3339 date-time. */
export function instant(text: unknown): bigint | undefined {
  if (typeof text !== 'string') return undefined;
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', zone, sign, oh, om] = m;
  const wholeMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(wholeMs)) return undefined;
  const offsetMin = zone.toUpperCase() === 'Z' ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  const nanos = BigInt((fraction + '000000000').slice(0, 9));
  return (BigInt(wholeMs) - BigInt(offsetMin) * 60_000n) * NS_PER_MS + nanos;
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
