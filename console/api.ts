/** The public API, called with the tenant's key exactly as an integration calls it. */
import { FORMAT_SENTENCES, type ErrorBody } from './model';
import { state } from './state';

export class ApiError extends Error {
  readonly body: Partial<ErrorBody>;
  constructor(
    readonly status: number,
    body: Partial<ErrorBody> | null,
  ) {
    super(body?.message || `HTTP ${status}`);
    this.body = body ?? {};
  }

  get code(): string | undefined {
    return this.body.code;
  }
}

let onKeyRefused: (message: string) => void = () => {};

/** What to do when the server refuses the key (401): the page signs out. */
export function whenKeyRefused(handler: (message: string) => void): void {
  onKeyRefused = handler;
}

/**
 * One call; the answer is the JSON the spec documents for the path's success status, named by
 * the caller (`api<Job>('GET', '/jobs/…')`): the console trusts the server it is served by.
 */
export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'x-api-key': state.key ?? '', accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (res.status === 401) {
    onKeyRefused('That key was refused by the server.');
    throw new ApiError(401, parsed as ErrorBody | null);
  }
  if (!res.ok) throw new ApiError(res.status, parsed as ErrorBody | null);
  return parsed as T;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** An error as a sentence for the person at the page. */
export function describe(error: unknown): string {
  if (!(error instanceof ApiError)) return `Could not reach the server: ${messageOf(error)}`;
  if (error.code === 'INVALID_DELIVERY_CODE') {
    const left = error.body.attempts_remaining;
    return `Wrong delivery code. ${left} attempt${left === 1 ? '' : 's'} left before the final step locks.`;
  }
  const errors = error.body.errors ?? [];
  // A field with a format of its own, present but malformed: the page's own sentence for it.
  const sentences = errors.map((e) => (e.msg !== 'is required' && FORMAT_SENTENCES[e.param]) || null);
  if (errors.length && sentences.every(Boolean)) return sentences.join(' ');
  const details = errors.map((e, i) => sentences[i] || `${e.param || 'body'} ${e.msg}`).join('; ');
  return `${error.code || error.status}: ${error.message}${details ? ` (${details})` : ''}`;
}
