/**
 * A tenant's clock: real time plus every advance made. It only moves forward, so slot
 * expiry and retries can be reached without waiting. Frozen, it stands still and moves
 * only when advanced; unfrozen, it runs on from where it stood (the pause is absorbed
 * into the offset, so it never jumps). The state is a stored record; these functions
 * read it and return new states, never changing one in place.
 */
import type { ClockState } from './store';

/** Real time as milliseconds since the epoch; injectable so tests can pin it. */
export type TimeSource = () => number;

export const RUNNING_CLOCK: ClockState = Object.freeze({ offsetMs: 0, frozenAtMs: null });

export function clockNow(state: ClockState, realNowMs: number): number {
  return state.frozenAtMs ?? realNowMs + state.offsetMs;
}

export function advancedClock(state: ClockState, seconds: number): ClockState {
  return {
    offsetMs: state.offsetMs + seconds * 1000,
    frozenAtMs: state.frozenAtMs === null ? null : state.frozenAtMs + seconds * 1000,
  };
}

export function frozenClock(state: ClockState, realNowMs: number): ClockState {
  return state.frozenAtMs !== null ? state : { offsetMs: state.offsetMs, frozenAtMs: clockNow(state, realNowMs) };
}

export function unfrozenClock(state: ClockState, realNowMs: number): ClockState {
  return state.frozenAtMs === null ? state : { offsetMs: state.frozenAtMs - realNowMs, frozenAtMs: null };
}

/**
 * How far the clock is ahead of real time; while frozen, how far it was when frozen plus
 * every advance since. Below zero once a freeze lasted longer than the advances made.
 */
export function offsetSeconds(state: ClockState): number {
  return Math.floor(state.offsetMs / 1000);
}

/** Real milliseconds until the tenant's clock reaches `at`; never, while frozen. */
export function realDelayUntil(state: ClockState, realNowMs: number, at: number): number {
  if (state.frozenAtMs !== null) return at <= state.frozenAtMs ? 0 : Infinity;
  return Math.max(0, at - clockNow(state, realNowMs));
}

/** An instant with a fraction of a millisecond (a jittered retry), written to the microsecond. */
function isoMicroseconds(ms: number): string {
  const micros = Math.round(ms * 1000);
  const wholeMs = Math.floor(micros / 1000);
  const rest = micros - wholeMs * 1000;
  const text = new Date(wholeMs).toISOString();
  return rest === 0 ? text : `${text.slice(0, -1)}${String(rest).padStart(3, '0')}Z`;
}

/**
 * Recent answers of `iso`, by a hash of the instant. An operation formats its own instant
 * several times (created_at, the event, updated_at), and slot windows start on the same
 * few quarter hours, so most calls are answered here, and the records that keep the text
 * share one string rather than each holding a copy.
 */
const ISO_CACHE_SIZE = 1021;
const cachedMs = new Float64Array(ISO_CACHE_SIZE).fill(Number.NaN);
const cachedIso: string[] = new Array<string>(ISO_CACHE_SIZE).fill('');

export function iso(ms: number): string {
  const at = Math.abs(ms % ISO_CACHE_SIZE) | 0;
  if (cachedMs[at] === ms) return cachedIso[at];
  const text = Number.isInteger(ms) ? new Date(ms).toISOString() : isoMicroseconds(ms);
  cachedMs[at] = ms;
  cachedIso[at] = text;
  return text;
}
