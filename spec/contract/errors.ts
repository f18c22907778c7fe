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
  '^(/([^~/]|~[01])*)*$': 'must be a JSON pointer: empty, or each token after a /, with ~ only as ~0 or ~1',
  '^[!-~](?:[ -~]*[!-~])?$': 'must be printable ASCII characters, spaces only between others',
};

const COMPOUND = new Set(['oneOf', 'anyOf']);

const within = (path: string, base: string) => path === base || path.startsWith(`${base}/`);

/**
 * Where a value is a `oneOf`/`anyOf`, ajv reports every branch's failure plus its own
 * ("must be null", "must match exactly one schema in oneOf"). Only the branch the value was
 * meant for speaks: a branch whose type the value does not have failed only on that type,
 * so when another branch has errors under the value, those are the reasons, and the type
 * misses and the compound's own error go. When every branch missed on type, the reason is
 * one: "must be object or null".
 */
export function meantBranchErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const compounds = errors.filter((e) => COMPOUND.has(e.keyword));
  if (compounds.length === 0) return [...errors];
  const dropped = new Set<ErrorObject>();
  const added = new Map<ErrorObject, ErrorObject>();
  for (const compound of compounds) {
    if (dropped.has(compound)) continue;
    const at = compound.instancePath;
    const here = (e: ErrorObject) => e.instancePath === at;
    const typeMisses = errors.filter((e) => here(e) && e.keyword === 'type' && !dropped.has(e));
    const reasons = errors.filter(
      (e) =>
        within(e.instancePath, at) &&
        e !== compound &&
        !typeMisses.includes(e) &&
        !(here(e) && COMPOUND.has(e.keyword)) &&
        !dropped.has(e),
    );
    dropped.add(compound);
    for (const e of typeMisses) dropped.add(e);
    if (reasons.length > 0) continue;
    const types = [...new Set(typeMisses.flatMap((e) => [(e.params as { type: string | string[] }).type].flat()))];
    added.set(
      compound,
      types.length > 0
        ? { ...compound, keyword: 'type', params: { type: types }, message: `must be ${types.join(' or ')}` }
        : // Every branch matched where oneOf allows one: the value is ambiguous, not malformed.
          { ...compound, message: 'must match exactly one of the allowed forms, and matches several' },
    );
  }
  const out: ErrorObject[] = [];
  for (const e of errors) {
    const replacement = added.get(e);
    if (replacement) out.push(replacement);
    else if (!dropped.has(e)) out.push(e);
  }
  return out;
}

/** Turns ajv errors into the contract's 422 `errors[]` items. */
export function formatErrors(
  errors: ErrorObject[] | null | undefined,
  data: unknown,
  location: ValidationErrorItem['location'] = 'body',
): ValidationErrorItem[] {
  const items: ValidationErrorItem[] = [];
  const seen = new Set<string>();
  for (const error of meantBranchErrors(errors ?? [])) {
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
      if (error.keyword === 'enum')
        msg = `must be one of: ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
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
