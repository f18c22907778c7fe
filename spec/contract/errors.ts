/** ajv's errors in the contract's words: the 422 `errors[]` items, with dotted paths. */
import type { ErrorObject } from 'ajv/dist/2020';
import type { components } from '../types.gen';
import { unescapePointer } from './refs';

export type ValidationErrorItem = components['schemas']['ValidationErrorItem'];
export type ValidationResult = { ok: true } | { ok: false; errors: ValidationErrorItem[] };

/** At most this many items in one 422; a hostile body may break millions of fields. */
export const MAX_ERROR_ITEMS = 100;
const MAX_ECHOED_VALUE_CHARS = 200;

/** `['a', 0, 'b']` → `a[0].b`: numbers are array indexes, strings are names. */
export function dottedSegments(segments: Array<string | number>): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}

function child(node: unknown, key: string): unknown {
  return node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
}

/** `/payment_info/prices/attributes/0/value` on the data → `payment_info.prices.attributes[0].value`. */
export function dottedPath(instancePath: string, data: unknown, extra?: string): string {
  const segments = instancePath === '' ? [] : instancePath.slice(1).split('/').map(unescapePointer);
  if (extra !== undefined) segments.push(extra);
  const typed: Array<string | number> = [];
  let node: unknown = data;
  for (const segment of segments) {
    typed.push(Array.isArray(node) && /^\d+$/.test(segment) ? Number(segment) : segment);
    node = child(node, segment);
  }
  return dottedSegments(typed);
}

function valueAt(instancePath: string, data: unknown): unknown {
  if (instancePath === '') return data;
  let node: unknown = data;
  for (const s of instancePath.slice(1).split('/')) {
    if (node == null) return undefined;
    node = child(node, unescapePointer(s));
  }
  return node;
}

function describeValue(value: unknown): unknown {
  if (value === undefined) return undefined;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return undefined; // nested too deep to echo
  }
  if (text === undefined || text.length > MAX_ECHOED_VALUE_CHARS) return undefined;
  return value;
}

/**
 * The spec's patterns in words, for people reading a 422; a pattern not listed keeps ajv's
 * "must match pattern" (a test lists every pattern of the spec, so a new one is noticed).
 */
export const PATTERN_WORDS: Readonly<Record<string, string>> = {
  '^[0-9]{4}$': 'must be exactly 4 digits',
  '^[A-Z]{3}$': 'must be 3 capital letters (an ISO 4217 currency code)',
  '^(whsec_)?[A-Za-z0-9+/]+={0,2}$': 'must be base64, optionally prefixed whsec_',
  '^[0-9a-f]{64}$': 'must be 64 lower-case hex digits',
  '^[0-9]+$': 'must be digits only',
  '^v1,[A-Za-z0-9+/=]+$': 'must be v1, then a base64 signature',
};

/** Turns ajv errors into the contract's 422 `errors[]` items. */
export function formatErrors(errors: ErrorObject[] | null | undefined, data: unknown, location: ValidationErrorItem['location'] = 'body'): ValidationErrorItem[] {
  const items: ValidationErrorItem[] = [];
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    if (items.length >= MAX_ERROR_ITEMS) break;
    let param: string;
    let msg = error.message ?? 'is invalid';
    let value: unknown;
    if (error.keyword === 'required') {
      param = dottedPath(error.instancePath, data, (error.params as { missingProperty: string }).missingProperty);
      msg = 'is required';
    } else {
      param = dottedPath(error.instancePath, data);
      value = describeValue(valueAt(error.instancePath, data));
      if (error.keyword === 'enum') msg = `must be one of: ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
      if (error.keyword === 'pattern') msg = PATTERN_WORDS[(error.params as { pattern: string }).pattern] ?? msg;
    }
    const key = `${param}\u0000${msg}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const item: ValidationErrorItem = { location, param, msg };
    if (value !== undefined) item.value = value;
    items.push(item);
  }
  return items;
}
