/**
 * The contract's size limits (`maxItems`, `maxProperties`), checked before full schema
 * validation. With `allErrors`, ajv's generated code concatenates its error list once per
 * failing item of an array of `$ref` items, which is quadratic: half a million bad items
 * in a 1 MB body would hold the event loop for hours. An oversized array or map is
 * refused on its own, in linear time, before ajv sees it.
 */
import type { SchemaNode } from './document';
import { dottedSegments, type ValidationErrorItem } from './errors';
import { resolveSchema, schemaAt } from './refs';

/** The schema of a property of an object node: declared, or the free-form map's values. */
export function propertySchema(schema: SchemaNode, key: string): SchemaNode | undefined {
  if (schema.properties && Object.prototype.hasOwnProperty.call(schema.properties, key)) return schema.properties[key];
  return typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
}

export function firstOversized(pointer: string, data: unknown): ValidationErrorItem | null {
  // Paths are built only for the one error found, not for every node walked.
  const segments: Array<string | number> = [];
  const tooMany = (limit: number, what: string): ValidationErrorItem => ({
    location: 'body',
    param: dottedSegments(segments),
    msg: `must NOT have more than ${limit} ${what}`,
  });
  const walk = (schemaNode: SchemaNode | undefined, value: unknown): ValidationErrorItem | null => {
    const schema = resolveSchema(schemaNode);
    if (!schema || value === null || typeof value !== 'object') return null;
    if (Array.isArray(value)) {
      if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
        return tooMany(schema.maxItems, 'items');
      if (!schema.items) return null;
      for (let i = 0; i < value.length; i++) {
        segments.push(i);
        const found = walk(schema.items, value[i]);
        segments.pop();
        if (found) return found;
      }
      return null;
    }
    const keys = Object.keys(value);
    if (typeof schema.maxProperties === 'number' && keys.length > schema.maxProperties)
      return tooMany(schema.maxProperties, 'properties');
    for (const key of keys) {
      const child = propertySchema(schema, key);
      if (child === undefined) continue;
      segments.push(key);
      const found = walk(child, (value as Record<string, unknown>)[key]);
      segments.pop();
      if (found) return found;
    }
    return null;
  };
  return walk(schemaAt(pointer), data);
}
