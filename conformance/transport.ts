/**
 * What the kit and the fixture factory share about reaching a server over HTTP: which
 * base URLs are acceptable, and what a failed connection means in words a user can act on.
 */

/** A base URL the kit and the factory accept: absolute http(s), nothing else. Returns why not, or null. */
export function baseUrlProblem(value: string): string | null {
  let parsed: URL;
  try { parsed = new URL(value); } catch { return `not a URL: ${value === '' ? '(empty)' : value} (write it with its scheme, e.g. http://127.0.0.1:4000)`; }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `not an http(s) URL: ${value} (write it with its scheme, e.g. http://127.0.0.1:4000)`;
  return null;
}

/** No HTTP answer at all: nothing listens, the name does not resolve, TLS failed, or silence. */
export class ConnectionFailure extends Error {
  constructor(readonly baseUrl: string, readonly cause: string) {
    super(`cannot reach ${baseUrl}: ${cause}`);
  }
}

const TLS_CODES = /^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH|EPROTO)/;

/** The cause of a failed fetch, named by its code: ECONNREFUSED, ENOTFOUND (DNS), a TLS code, or a timeout. */
export function connectionCause(error: unknown, timeoutMs?: number): string {
  const { name, message, cause } = (error ?? {}) as { name?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (name === 'TimeoutError') return timeoutMs === undefined ? 'no HTTP answer in time' : `no HTTP answer within ${timeoutMs} ms`;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code === 'ECONNREFUSED') return 'ECONNREFUSED (nothing listens there)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `${code} (DNS: the host name does not resolve)`;
  if (code && TLS_CODES.test(code)) return `${code} (TLS: ${typeof cause?.message === 'string' ? cause.message : 'handshake failed'})`;
  if (code) return code;
  if (typeof cause?.message === 'string') return cause.message;
  return typeof message === 'string' ? message : String(error);
}
