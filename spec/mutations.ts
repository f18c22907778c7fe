/**
 * Invalid variants of a valid body, derived from the spec's schema rather than listed by
 * hand: each required field removed (at every depth), each typed field given a wrong type,
 * each enum an outside value, each format or pattern broken. Each variant breaks exactly
 * one field and names it with the contract's dotted path, so a server's 422 can be checked
 * for an `errors[]` item with that `param`.
 */
import { dottedSegments, formatErrors, resolveSchema, schemaAt, validatorAt, type SchemaNode } from './contract';

export type MutationKind = 'missing-required' | 'wrong-type' | 'enum' | 'format' | 'pattern';

export interface BodyMutation {
  kind: MutationKind;
  /** The dotted path of the broken field, as a 422 `errors[].param` must name it. */
  param: string;
  description: string;
  body: unknown;
}

type PathSegment = string | number;

const WRONG_TYPE_VALUE: Record<string, unknown> = {
  string: 12345,
  number: 'not-a-number',
  integer: 'not-an-integer',
  boolean: 'not-a-boolean',
  object: 'not-an-object',
  array: 'not-an-array',
};

const BROKEN_FORMAT: Record<string, string> = {
  'date-time': 'not-a-date-time',
  date: 'not-a-date',
  email: 'not-an-email',
  uri: 'not a uri',
};

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** An object or array of a JSON body, indexed by name or position. */
type Container = Record<PathSegment, unknown>;

function setAt(root: unknown, path: PathSegment[], transform: (parent: Container, key: PathSegment) => void): unknown {
  const copy = clone(root);
  let node = copy as Container;
  for (const s of path.slice(0, -1)) node = node[s] as Container;
  transform(node, path[path.length - 1]);
  return copy;
}

function schemaType(schema: SchemaNode): string | undefined {
  if (typeof schema.type === 'string') return schema.type;
  return undefined;
}

/** Every single-field mutation of `sample` against the schema at `pointer`. */
export function deriveMutations(pointer: string, sample: unknown): BodyMutation[] {
  const candidates: BodyMutation[] = [];
  const visit = (rawSchema: SchemaNode | undefined, value: unknown, path: PathSegment[]) => {
    const schema = resolveSchema(rawSchema);
    if (!schema) return;
    const param = dottedSegments(path);
    if (path.length > 0) {
      const type = schemaType(schema);
      if (type && type in WRONG_TYPE_VALUE) {
        candidates.push({
          kind: 'wrong-type',
          param,
          description: `${param} as a non-${type}`,
          body: setAt(sample, path, (p, k) => {
            p[k] = WRONG_TYPE_VALUE[type];
          }),
        });
      }
      if (Array.isArray(schema.enum)) {
        candidates.push({
          kind: 'enum',
          param,
          description: `${param} outside its enum`,
          body: setAt(sample, path, (p, k) => {
            p[k] = typeof schema.enum?.[0] === 'number' ? 7 : 'NOT_IN_ENUM';
          }),
        });
      }
      if (typeof schema.format === 'string' && schema.format in BROKEN_FORMAT) {
        candidates.push({
          kind: 'format',
          param,
          description: `${param} with a broken ${schema.format}`,
          body: setAt(sample, path, (p, k) => {
            p[k] = BROKEN_FORMAT[schema.format as string];
          }),
        });
      }
      if (typeof schema.pattern === 'string') {
        candidates.push({
          kind: 'pattern',
          param,
          description: `${param} not matching ${schema.pattern}`,
          body: setAt(sample, path, (p, k) => {
            p[k] = `${String(value)}!`;
          }),
        });
      }
    }
    if (Array.isArray(value)) {
      if (value.length > 0 && schema.items) visit(schema.items, value[0], [...path, 0]);
      return;
    }
    if (value === null || typeof value !== 'object' || !schema.properties) return;
    const properties = schema.properties;
    for (const key of schema.required ?? []) {
      if (key in value) {
        const childPath = [...path, key];
        const childParam = dottedSegments(childPath);
        candidates.push({
          kind: 'missing-required',
          param: childParam,
          description: `${childParam} missing`,
          body: setAt(sample, childPath, (p, k) => {
            delete p[k];
          }),
        });
      }
    }
    for (const [key, child] of Object.entries(value)) {
      if (Object.prototype.hasOwnProperty.call(properties, key)) visit(properties[key], child, [...path, key]);
    }
  };
  visit(schemaAt(pointer), sample, []);
  // Keep only variants the schema really refuses at the named field: a candidate value
  // that happens to be valid (or breaks another field) proves nothing.
  const validate = validatorAt(pointer);
  return candidates.filter((m) => {
    if (validate(m.body)) return false;
    return formatErrors(validate.errors, m.body).some((e) => e.param === m.param);
  });
}
