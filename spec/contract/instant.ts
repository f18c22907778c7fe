/**
 * RFC 3339 date-times as exact instants: whole seconds since the epoch plus nanoseconds,
 * whatever the offset and however many fraction digits the text has (up to nine are kept).
 * `Date.parse` keeps milliseconds only, so two instants a few microseconds apart would
 * compare equal, and a due time computed from one can fall just short of the real one.
 * Every comparison and clock computation of the kit goes through here.
 */
export interface Instant {
  /** Whole seconds since 1970-01-01T00:00:00Z (negative before). */
  readonly seconds: number;
  /** 0 to 999 999 999. */
  readonly nanos: number;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const NANOS_PER_SECOND = 1_000_000_000;

/** The instant `text` denotes, or undefined when it is no RFC 3339 date-time. */
export function tryInstant(text: unknown): Instant | undefined {
  if (typeof text !== 'string') return undefined;
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zulu, sign, offsetHours, offsetMinutes] = m;
  const [mo, d, h, mi, s] = [month, day, hour, minute, second].map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  // setUTCFullYear, unlike Date.UTC, reads years 0 to 99 as written.
  const utcMs = new Date(0).setUTCFullYear(Number(year), mo - 1, d) + (h * 60 + mi) * 60_000;
  // A day past the month's end rolls over: refuse `02-30` rather than read it as `03-02`.
  if (new Date(utcMs).getUTCDate() !== d) return undefined;
  const offset = zulu ? 0 : (sign === '-' ? -1 : 1) * (Number(offsetHours) * 3600 + Number(offsetMinutes) * 60);
  const nanos = fraction ? Number(fraction.slice(0, 9).padEnd(9, '0')) : 0;
  return { seconds: utcMs / 1000 + s - offset, nanos };
}

/** The instant `text` denotes; a RangeError naming it when it is none. */
export function parseInstant(text: string): Instant {
  const instant = tryInstant(text);
  if (!instant) throw new RangeError(`not an RFC 3339 date-time: ${JSON.stringify(text)}`);
  return instant;
}

const asInstant = (value: Instant | string): Instant => (typeof value === 'string' ? parseInstant(value) : value);

/** Negative when `a` is earlier, 0 when the same instant, positive when later. */
export function compareInstants(a: Instant | string, b: Instant | string): number {
  const x = asInstant(a);
  const y = asInstant(b);
  return x.seconds !== y.seconds ? x.seconds - y.seconds : x.nanos - y.nanos;
}

/** True when both denote the same instant, at every digit written; false when either is no date-time. */
export function sameInstant(a: string, b: string): boolean {
  const x = tryInstant(a);
  const y = tryInstant(b);
  return x !== undefined && y !== undefined && compareInstants(x, y) === 0;
}

/** `instant` plus a whole number of seconds and milliseconds (either may be negative). */
export function plus(instant: Instant | string, milliseconds: number): Instant {
  const at = asInstant(instant);
  if (!Number.isInteger(milliseconds)) throw new RangeError(`whole milliseconds only: ${milliseconds}`);
  const whole = Math.floor(milliseconds / 1000);
  const nanos = at.nanos + (milliseconds - whole * 1000) * 1_000_000;
  return {
    seconds: at.seconds + whole + Math.floor(nanos / NANOS_PER_SECOND),
    nanos: nanos % NANOS_PER_SECOND,
  };
}

/**
 * The fewest whole seconds a clock at `from` must move to be at or past `to` (0 when it
 * already is): the seconds to advance a tenant's clock to reach a due time, computed
 * without rounding either instant.
 */
export function secondsToReach(from: Instant | string, to: Instant | string): number {
  const a = asInstant(from);
  const b = asInstant(to);
  const seconds = b.seconds - a.seconds + (b.nanos > a.nanos ? 1 : 0);
  return Math.max(0, seconds);
}

/** `to` minus `from` in milliseconds, fractions included; for messages and tolerances, not for ordering. */
export function millisecondsBetween(from: Instant | string, to: Instant | string): number {
  const a = asInstant(from);
  const b = asInstant(to);
  return (b.seconds - a.seconds) * 1000 + (b.nanos - a.nanos) / 1_000_000;
}

/**
 * Milliseconds since the epoch with the fraction kept (`.000001` is 0.001): for a model
 * that reckons in numbers. A double keeps about a quarter of a microsecond at today's
 * dates; use `compareInstants` where nanoseconds matter.
 */
export function epochMilliseconds(value: Instant | string): number {
  const at = asInstant(value);
  return at.seconds * 1000 + at.nanos / 1_000_000;
}

/**
 * `instant` written as RFC 3339 at `offsetMinutes` from UTC (`Z` at 0 unless `numericZero`),
 * with exactly `fractionDigits` digits (up to 9; more digits than the instant has are zeros,
 * fewer drop the rest).
 */
export function formatInstant(
  instant: Instant,
  options: { offsetMinutes?: number; fractionDigits?: number; numericZero?: boolean } = {},
): string {
  const offsetMinutes = options.offsetMinutes ?? 0;
  const digits = options.fractionDigits ?? 3;
  const local = new Date((instant.seconds + offsetMinutes * 60) * 1000).toISOString().slice(0, 19);
  const fraction = digits > 0 ? `.${String(instant.nanos).padStart(9, '0').slice(0, digits).padEnd(digits, '0')}` : '';
  if (offsetMinutes === 0 && !options.numericZero) return `${local}${fraction}Z`;
  const size = Math.abs(offsetMinutes);
  const hh = String(Math.floor(size / 60)).padStart(2, '0');
  const mm = String(size % 60).padStart(2, '0');
  return `${local}${fraction}${offsetMinutes < 0 ? '-' : '+'}${hh}:${mm}`;
}
