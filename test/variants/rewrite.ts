/**
 * The freedoms the contract leaves an implementation, applied to a JSON body by walking it
 * along its schema in the spec. Each freedom is one switch, so that a variant can use one
 * at a time or all together. Test-only.
 */
import { formatInstant, isRfc3339DateTime, parseInstant, resolveSchema, schemaAt } from '../../spec/contract';

// any: rewrites arbitrary JSON answers of any shape.
type Json = any;

export type Freedom = 'date-times' | 'unordered-lists' | 'optional-fields' | 'undeclared-fields' | 'opaque-ids';
export const FREEDOMS: Freedom[] = [
  'date-times',
  'unordered-lists',
  'optional-fields',
  'undeclared-fields',
  'opaque-ids',
];

/** How often each freedom was used, so that a test can show a variant really varied. */
export type Usage = Record<Freedom, number>;

const schema = (name: string) => schemaAt(`#/components/schemas/${name}`);

/**
 * Optional fields the contract does not promise where they appear: a diagnostic echo, a
 * version string, a request id, a counter also carried by the 422 that matters, the
 * reason text of a failed attempt.
 */
const UNPROMISED: Array<[Json, string]> = [
  [schema('WebhookDelivery'), 'last_response_body'],
  [schema('Health'), 'version'],
  [schema('Error'), 'request_id'],
  [schema('Job'), 'delivery_code_attempts_remaining'],
  [schema('DeliveryAttempt'), 'error'],
];

/** Lists whose description states no order. */
const UNORDERED: Array<[Json, string]> = [
  [schema('CreateJobResponse'), 'warnings'],
  [schema('Error'), 'errors'],
];

/** The reference server's own ids (slots, deliveries, endpoints, events) and its job UUIDs. */
const GENERATED_ID = /^((slt|whd|whe|evt)_[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/**
 * Ids in another format, one to one: another prefix, and characters a path must
 * percent-encode (`/`, space, `?`, `#`, `%`, non-ASCII).
 */
export class IdMap {
  private readonly toAlias = new Map<string, string>();
  private readonly toOriginal = new Map<string, string>();

  alias(original: string): string {
    let alias = this.toAlias.get(original);
    if (!alias) {
      alias = `v/${original.split('').reverse().join('')} ?#%ü`;
      this.toAlias.set(original, alias);
      this.toOriginal.set(alias, original);
    }
    return alias;
  }

  isGenerated(value: string): boolean {
    return GENERATED_ID.test(value);
  }

  original(value: string): string {
    return this.toOriginal.get(value) ?? value;
  }

  /** Every alias in a request body back to the id the server gave. */
  unmapDeep(value: Json): Json {
    if (typeof value === 'string') return this.original(value);
    if (Array.isArray(value)) return value.map((v) => this.unmapDeep(v));
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.unmapDeep(v)]));
    return value;
  }
}

/** Six hours west of UTC, as an implementation in Mexico City or Chicago might write its times. */
export const VARIANT_OFFSET_MINUTES = -360;

/**
 * The same instant, spelled with microseconds at `-06:00`, every digit the server wrote kept
 * (the reference writes retry due times to the microsecond when they are jittered).
 */
export function respell(dateTime: string): string {
  return formatInstant(parseInstant(dateTime), { offsetMinutes: VARIANT_OFFSET_MINUTES, fractionDigits: 6 });
}

function branchFor(node: Json, value: Json): Json {
  const branches: Json[] | undefined = node?.oneOf ?? node?.anyOf;
  if (!branches) return node;
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return (
    branches
      .map((b) => resolveSchema(b))
      .find((b) => b?.type === kind || (kind === 'number' && b?.type === 'integer')) ?? node
  );
}

export class Rewriter {
  readonly usage: Usage = {
    'date-times': 0,
    'unordered-lists': 0,
    'optional-fields': 0,
    'undeclared-fields': 0,
    'opaque-ids': 0,
  };

  constructor(
    private readonly freedoms: ReadonlySet<Freedom>,
    readonly ids: IdMap,
  ) {}

  uses(freedom: Freedom): boolean {
    return this.freedoms.has(freedom);
  }

  /** A response (or webhook) body rewritten along the schema at `pointer`; `top` marks the body's own object. */
  body(value: Json, pointer: string): Json {
    const rewritten = this.walk(value, schemaAt(pointer));
    if (
      this.uses('unordered-lists') &&
      pointer.endsWith('/content/application~1json/schema') &&
      Array.isArray(rewritten) &&
      this.isUnorderedTopList(pointer)
    ) {
      this.usage['unordered-lists'] += 1;
      rewritten.reverse();
    }
    if (this.uses('undeclared-fields')) {
      for (const target of Array.isArray(rewritten) ? rewritten : [rewritten]) {
        if (target && typeof target === 'object' && !Array.isArray(target)) {
          target.x_variant_note = { added_by: 'variant proxy', items: [1, 'two'] };
          this.usage['undeclared-fields'] += 1;
        }
      }
    }
    return rewritten;
  }

  /** Availability answers and the endpoint list state no order; the job and delivery lists do. */
  private isUnorderedTopList(pointer: string): boolean {
    return pointer.includes('~1jobs~1availability~1v2') || pointer.includes('~1sandbox~1webhook-endpoints/get');
  }

  private walk(value: Json, rawNode: Json): Json {
    const node = branchFor(resolveSchema(rawNode), value);
    if (typeof value === 'string') {
      if (node?.format === 'date-time' && this.uses('date-times') && isRfc3339DateTime(value)) {
        this.usage['date-times'] += 1;
        return respell(value);
      }
      if (this.uses('opaque-ids') && this.ids.isGenerated(value)) {
        this.usage['opaque-ids'] += 1;
        return this.ids.alias(value);
      }
      return value;
    }
    if (Array.isArray(value)) return value.map((item) => this.walk(item, node?.items));
    if (!value || typeof value !== 'object') return value;
    const out: Json = {};
    for (const [key, child] of Object.entries(value)) {
      if (this.uses('optional-fields') && UNPROMISED.some(([owner, name]) => owner === node && name === key)) {
        this.usage['optional-fields'] += 1;
        continue;
      }
      const childNode =
        node?.properties?.[key] ??
        (typeof node?.additionalProperties === 'object' ? node.additionalProperties : undefined);
      let rewritten = this.walk(child, childNode);
      if (
        this.uses('unordered-lists') &&
        Array.isArray(rewritten) &&
        rewritten.length > 1 &&
        UNORDERED.some(([owner, name]) => owner === node && name === key)
      ) {
        this.usage['unordered-lists'] += 1;
        rewritten = [...rewritten].reverse();
      }
      out[key] = rewritten;
    }
    return out;
  }
}
