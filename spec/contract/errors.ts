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
