/**
 * What the kit and the fixture factory share about reaching a server over HTTP: which
 * base URLs are acceptable, and what a failed connection means in words a user can act on.
 */

/** A base URL the kit and the factory accept: absolute http(s), nothing else. Returns why not, or null. */
export function baseUrlProblem(value: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return `not a URL: ${value === '' ? '(empty)' : value} (write it with its scheme, e.g. http://127.0.0.1:4000)`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return `not an http(s) URL: ${value} (write it with its scheme, e.g. http://127.0.0.1:4000)`;
  return null;
}

/** No HTTP answer at all: nothing listens, the name does not resolve, TLS failed, or silence. */
export class ConnectionFailure extends Error {
  constructor(
    readonly baseUrl: string,
    readonly cause: string,
  ) {
    super(`cannot reach ${baseUrl}: ${cause}`);
  }
}

const TLS_CODES = /^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH|EPROTO)/;

/** The cause of a failed fetch, named by its code: ECONNREFUSED, ENOTFOUND (DNS), a TLS code, or a timeout. */
export function connectionCause(error: unknown, timeoutMs?: number): string {
  const { name, message, cause } = (error ?? {}) as {
    name?: unknown;
    message?: unknown;
    cause?: { code?: unknown; message?: unknown };
  };
  if (name === 'TimeoutError')
    return timeoutMs === undefined ? 'no HTTP answer in time' : `no HTTP answer within ${timeoutMs} ms`;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code === 'ECONNREFUSED') return 'ECONNREFUSED (nothing listens there)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `${code} (DNS: the host name does not resolve)`;
  if (code && TLS_CODES.test(code))
    return `${code} (TLS: ${typeof cause?.message === 'string' ? cause.message : 'handshake failed'})`;
  if (code) return code;
  if (typeof cause?.message === 'string') return cause.message;
  return typeof message === 'string' ? message : String(error);
}

/** Answers larger than this are refused: a hostile server may stream without end. */
export const MAX_READ_BODY_BYTES = 8 * 1024 * 1024;
/** How long the factory waits for each answer unless told otherwise. */
export const DEFAULT_TIMEOUT_MS = 30_000;

export interface HttpRequest {
  method: string;
  /** The path and query, joined to the client's base URL. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpReply {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  text: string;
  /** The body parsed as JSON; undefined when empty or not JSON. */
  json: unknown;
}

async function readCapped(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_READ_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`response body larger than ${MAX_READ_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The one HTTP client of the kit and the fixture factory: a validated base URL, a timeout
 * on every answer (and an optional abort signal), redirects reported rather than followed,
 * and bodies read up to a cap. Failures are fetch's own errors, for `connectionCause`.
 */
export class HttpClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    readonly timeoutMs: number,
    private readonly signal?: AbortSignal,
  ) {
    const problem = baseUrlProblem(baseUrl);
    if (problem) throw new Error(problem);
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  async request(request: HttpRequest): Promise<HttpReply> {
    const signals = [AbortSignal.timeout(this.timeoutMs)];
    if (this.signal) signals.push(this.signal);
    const response = await fetch(this.url(request.path), {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.any(signals),
    });
    const text = await readCapped(response);
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    return { status: response.status, headers, text, json: parseJson(text) };
  }
}
