/**
 * Declared and undeclared fields. Production accepts unknown fields, so the contract
 * reports them as warnings rather than refusing them.
 */
import type { SchemaNode } from './document';
import { dottedSegments, MAX_ERROR_ITEMS } from './errors';
import { resolveSchema, schemaAt } from './refs';

/** A new object with the first `count` of `keys` copied from `value` (own data properties). */
function copyKeys(value: Record<string, unknown>, keys: string[], count: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < count; i++)
    Object.defineProperty(out, keys[i], {
      value: value[keys[i]],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

/**
 * Splits a body into what the schema declares and what it does not, in one pass: `known`
 * holds only declared fields, `unknown` the dotted paths of the others. Free-form maps
 * (`additionalProperties` schemas) are kept whole. Parts of `known` without an undeclared
 * field are the input's own objects, not copies: the usual body, with none, costs no
 * allocation at all.
 */
export function splitKnownFields<T>(pointer: string, data: T): { known: T; unknown: string[] } {
  const unknown: string[] = [];
  const segments: Array<string | number> = [];
  const pathWith = (key: string) => dottedSegments([...segments, key]);
  const split = (rawSchema: SchemaNode | undefined, value: unknown): unknown => {
    const schema = resolveSchema(rawSchema);
    if (!schema || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) {
      if (!schema.items) return value;
      let copy: unknown[] | null = null;
      for (let i = 0; i < value.length; i++) {
        segments.push(i);
        const item = split(schema.items, value[i]);
        segments.pop();
        if (item !== value[i]) (copy ??= value.slice())[i] = item;
      }
      return copy ?? value;
    }
    const properties = schema.properties;
    if (!properties) return value;
    const record = value as Record<string, unknown>;
    let copy: Record<string, unknown> | null = null;
    const keys = Object.keys(record);
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      if (Object.prototype.hasOwnProperty.call(properties, key)) {
        segments.push(key);
        const child = split(properties[key], record[key]);
        segments.pop();
        if (child !== record[key]) (copy ??= copyKeys(record, keys, k))[key] = child;
        else if (copy) copy[key] = child;
      } else {
        if (unknown.length < MAX_ERROR_ITEMS) unknown.push(pathWith(key));
        copy ??= copyKeys(record, keys, k);
      }
    }
    return copy ?? value;
  };
  // Only fields are dropped: what remains is the declared part of the same shape.
  return { known: split(schemaAt(pointer), data) as T, unknown };
}

/** Fields the schema does not declare, as dotted paths. */
export function unknownFields(pointer: string, data: unknown): string[] {
  return splitKnownFields(pointer, data).unknown;
}

/** Only the fields the schema declares (sharing the parts that need no change). */
export function knownFieldsOnly<T>(pointer: string, data: T): T {
  return splitKnownFields(pointer, data).known;
}
