/**
 * The contract's size limits (`maxItems`, `maxProperties`), checked before full schema
 * validation. With `allErrors`, ajv's generated code concatenates its error list once per
 * failing item of an array of `$ref` items, which is quadratic: half a million bad items
 * in a 1 MB body would hold the event loop for hours. An oversized array or map is
 * refused on its own, in linear time, before ajv sees it.
 */
import { resolveSchema, schemaAt, type ValidationErrorItem } from '../../spec/contract';

export function firstOversized(pointer: string, data: unknown): ValidationErrorItem | null {
  const walk = (schemaNode: unknown, value: unknown, path: string): ValidationErrorItem | null => {
    const schema = resolveSchema(schemaNode);
    if (!schema || value === null || typeof value !== 'object') return null;
    if (Array.isArray(value)) {
      if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) {
        return { location: 'body', param: path, msg: `must NOT have more than ${schema.maxItems} items` };
      }
      if (!schema.items) return null;
      for (let i = 0; i < value.length; i++) {
        const found = walk(schema.items, value[i], `${path}[${i}]`);
        if (found) return found;
      }
      return null;
    }
    const keys = Object.keys(value);
    if (typeof schema.maxProperties === 'number' && keys.length > schema.maxProperties) {
      return { location: 'body', param: path, msg: `must NOT have more than ${schema.maxProperties} properties` };
    }
    for (const key of keys) {
      const child = schema.properties && Object.prototype.hasOwnProperty.call(schema.properties, key)
        ? schema.properties[key]
        : typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
      if (child === undefined) continue;
      const found = walk(child, (value as Record<string, unknown>)[key], path === '' ? key : `${path}.${key}`);
      if (found) return found;
    }
    return null;
  };
  return walk(schemaAt(pointer), data, '');
}
