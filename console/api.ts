/** The public API, called with the tenant's key exactly as an integration calls it. */
import { FIELD_NAMES, type ErrorBody } from './model';
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
  if (errors.length) return reasons(errors);
  return `${error.code || error.status}: ${error.message}`;
}

type ErrorItem = NonNullable<ErrorBody['errors']>[number];

// The schema validator's phrases, as a person would say them; the API's own phrases pass as they are.
const PLAIN_WORDS: Array<[RegExp, string]> = [
  [/^must NOT have fewer than (\d+) characters?$/, 'must be at least $1 characters long'],
  [/^must NOT have more than (\d+) characters?$/, 'must be at most $1 characters long'],
  [/^must NOT have fewer than (\d+) items?$/, 'must have at least $1 items'],
  [/^must NOT have more than (\d+) items?$/, 'must have at most $1 items'],
  [/^must be <= (\S+)$/, 'must be at most $1'],
  [/^must be >= (\S+)$/, 'must be at least $1'],
  [/^must be < (\S+)$/, 'must be less than $1'],
  [/^must be > (\S+)$/, 'must be more than $1'],
  [/^must be integer$/, 'must be a whole number'],
  [/^must be equal to one of the allowed values$/, 'must be one of the listed values'],
  [/^must NOT have additional properties$/, 'has a field the API does not know'],
];
const inWords = (msg: string) => PLAIN_WORDS.reduce((text, [phrase, words]) => text.replace(phrase, words), msg);

/** A 422's `errors[]`, one sentence per field: "The signing secret must be at least 16 characters long." */
function reasons(errors: ErrorItem[]): string {
  const byField = new Map<string, string[]>();
  for (const item of errors) {
    const field = item.param || 'body';
    byField.set(field, [...(byField.get(field) ?? []), inWords(item.msg)]);
  }
  return [...byField]
    .map(
      ([field, msgs]) => `${FIELD_NAMES[field] ?? (field === 'body' ? 'The request' : field)} ${msgs.join(', and ')}.`,
    )
    .join(' ');
}
