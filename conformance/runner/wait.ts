/**
 * `lastmile conform --wait-for`: in CI an implementation comes up asynchronously, so the run
 * first waits, for a bounded time, until the base URL gives any HTTP answer (any status).
 */
import { connectionCause } from '../../client/transport';

/** Between two tries. */
export const WAIT_INTERVAL_MS = 500;
/** Longest one try may take; a server that accepts but never answers is retried, not waited on. */
const TRY_TIMEOUT_MS = 5000;

/** No HTTP answer within the time allowed; the cause of the last try says why. */
export class NoAnswerError extends Error {}

export interface WaitOptions {
  /** Called once, before the first try that failed, with the cause. */
  onWaiting?: (cause: string) => void;
}

/** Resolves with the milliseconds waited once `baseUrl` answers; throws NoAnswerError after `seconds`. */
export async function waitForAnswer(baseUrl: string, seconds: number, options: WaitOptions = {}): Promise<number> {
  const started = Date.now();
  const deadline = started + seconds * 1000;
  let told = false;
  for (;;) {
    const remaining = deadline - Date.now();
    try {
      // The last try may run a little past the deadline rather than fail on a too short timeout.
      const response = await fetch(baseUrl, {
        method: 'GET',
        redirect: 'manual',
        signal: AbortSignal.timeout(Math.min(TRY_TIMEOUT_MS, Math.max(1000, remaining))),
      });
      await response.body?.cancel();
      return Date.now() - started;
    } catch (error) {
      const cause = connectionCause(error);
      const left = deadline - Date.now();
      if (left <= 0) throw new NoAnswerError(`no HTTP answer from ${baseUrl} within ${seconds} s (last try: ${cause})`);
      if (!told) options.onWaiting?.(cause);
      told = true;
      await new Promise((resolve) => setTimeout(resolve, Math.min(WAIT_INTERVAL_MS, left)));
    }
  }
}
