/**
 * The compiled contract: spec/openapi.yaml loaded once, its operations indexed, and ajv
 * (JSON Schema 2020-12) validators compiled from it. Server, conformance kit and fixture
 * factory all import this module; nothing else compiles schemas.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import type { components } from './types.gen';

export type Schemas = components['schemas'];

export const SPEC_PATH = join(__dirname, 'openapi.yaml');
export const specText: string = readFileSync(SPEC_PATH, 'utf8');
/** Written by the build beside the YAML: parsing YAML was about a third of the server's start-up. */
const PARSED_SPEC_PATH = join(__dirname, 'openapi.parsed.json');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const spec: any = existsSync(PARSED_SPEC_PATH) ? JSON.parse(readFileSync(PARSED_SPEC_PATH, 'utf8')) : require('yaml').parse(specText);

const SPEC_ID = 'lastmile-openapi';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
const MAX_ERROR_ITEMS = 100;
const MAX_ECHOED_VALUE_CHARS = 200;

export type ValidationErrorItem = Schemas['ValidationErrorItem'];

export interface Operation {
  operationId: string;
  method: string; // upper case
  path: string; // OpenAPI template, e.g. /jobs/{job_id}
  tags: string[];
  /** Sandbox-only operations (tags Sandbox or Operations). */
  sandbox: boolean;
  /** Whether the operation needs the x-api-key header. */
  secured: boolean;
  requestBody: { required: boolean; pointer: string } | null;
  /** Status code (as a string) to the JSON pointer of its body schema, or null for no body. */
  responses: Record<string, string | null>;
  /** Status code to the headers its response must carry (e.g. `location` on a 201), in lower case. */
  requiredResponseHeaders: Record<string, string[]>;
  queryParameters: Parameter[];
  /** Header parameters the operation declares (e.g. `Idempotency-Key`), names in lower case. */
  headerParameters: Parameter[];
  pathParameters: string[];
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

const refTargets = new Map<string, any>();

function resolveRef<T = any>(node: any): T {
  let current = node;
  while (current && typeof current.$ref === 'string') {
    const ref: string = current.$ref;
    if (!refTargets.has(ref)) {
      const parts = ref.replace(/^#\//, '').split('/').map((p: string) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
      refTargets.set(ref, parts.reduce((acc: any, key: string) => acc?.[key], spec));
    }
    current = refTargets.get(ref);
  }
  return current;
}

export interface Parameter {
  name: string;
  pointer: string;
  required: boolean;
}

/** The operation's own parameters of one kind, each with the pointer of its schema. */
function parametersIn(op: any, base: string, where: 'query' | 'header'): Parameter[] {
  return (op.parameters ?? [])
    .map((p: any, i: number) => ({ resolved: resolveRef(p), i }))
    .filter(({ resolved }: any) => resolved.in === where)
    .map(({ resolved, i }: any) => ({ name: resolved.name, required: Boolean(resolved.required), pointer: `${base}/parameters/${i}/schema` }));
}

function indexOperations(): Operation[] {
  const operations: Operation[] = [];
  for (const [path, pathItem] of Object.entries<any>(spec.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const op = pathItem[method];
      if (!op) continue;
      const base = `#/paths/${escapePointer(path)}/${method}`;
      const params = [...(pathItem.parameters ?? []), ...(op.parameters ?? [])].map((p: any) => resolveRef(p));
      const body = op.requestBody ? resolveRef(op.requestBody) : null;
      const responses: Record<string, string | null> = {};
      const requiredResponseHeaders: Record<string, string[]> = {};
      for (const [status, response] of Object.entries<any>(op.responses ?? {})) {
        const resolved = resolveRef(response);
        requiredResponseHeaders[status] = Object.entries<any>(resolved.headers ?? {})
          .filter(([, header]) => resolveRef(header)?.required)
          .map(([name]) => name.toLowerCase());
        const responseBase = response.$ref
          ? response.$ref
          : `${base}/responses/${status}`;
        responses[status] = resolved.content?.['application/json']?.schema
          ? `${responseBase}/content/application~1json/schema`
          : null;
      }
      operations.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        path,
        tags: op.tags ?? [],
        sandbox: (op.tags ?? []).some((t: string) => t === 'Sandbox' || t === 'Operations'),
        secured: !(Array.isArray(op.security) && op.security.length === 0),
        requestBody: body
          ? { required: Boolean(body.required), pointer: `${base}/requestBody/content/application~1json/schema` }
          : null,
        responses,
        requiredResponseHeaders,
        queryParameters: parametersIn(op, base, 'query'),
        headerParameters: parametersIn(op, base, 'header').map((p) => ({ ...p, name: p.name.toLowerCase() })),
        pathParameters: params.filter((p: any) => p.in === 'path').map((p: any) => p.name),
      });
    }
  }
  return operations;
}

export const operations: Operation[] = indexOperations();
export const operationsById: ReadonlyMap<string, Operation> = new Map(operations.map((o) => [o.operationId, o]));

export function getOperation(operationId: string): Operation {
  const op = operationsById.get(operationId);
  if (!op) throw new Error(`No operation ${operationId} in the spec`);
  return op;
}

/**
 * A job's lifecycle in order: CREATED, then the spec's LifecycleStep enum (JobState lists
 * the same order, then the out-of-band CANCELLED).
 */
export const LIFECYCLE: readonly Schemas['JobState'][] = Object.freeze(['CREATED', ...(spec.components.schemas.LifecycleStep.enum as Schemas['LifecycleStep'][])]);

/** The names of the webhook event types, as the spec's `webhooks:` section lists them. */
export const webhookEventTypes: string[] = Object.keys(spec.webhooks ?? {});

let ajv: Ajv2020 | null = null;

/** ajv and the spec's schemas load at the first validation: at start-up they cost about 100 ms. */
function specAjv(): Ajv2020 {
  if (ajv) return ajv;
  const Ajv: typeof Ajv2020 = require('ajv/dist/2020').default;
  const addFormats: typeof import('ajv-formats').default = require('ajv-formats').default;
  ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, validateFormats: true });
  addFormats(ajv);
  ajv.addFormat('date-time', { type: 'string', validate: isRfc3339DateTime });
  // OpenAPI annotations that are not JSON Schema keywords.
  ajv.addVocabulary(['example', 'xml', 'externalDocs', 'discriminator', 'paths', 'webhooks', 'components']);
  // The whole document is registered once; validators are compiled per pointer and cached.
  ajv.addSchema(stripNonSchemaRoots(spec), SPEC_ID);
  return ajv;
}

/** `2026-12-01T16:00:00Z`: ISO 8601 also allows a space for the `T`, RFC 3339 does not. */
const RFC3339_DATE_TIME_SEPARATOR = /^\d{4}-\d{2}-\d{2}[Tt]/;
/** ajv-formats' own rule, loaded with the first date-time checked (it is no part of start-up). */
let fullDateTime: { validate: (value: string) => boolean } | null = null;

/**
 * The contract's date-time: RFC 3339 strictly. ajv-formats' full mode reads the
 * separator as ISO 8601 does; every validator of the contract (server, kit, fixtures)
 * compiles against this one rule instead.
 */
export function isRfc3339DateTime(value: string): boolean {
  fullDateTime ??= require('ajv-formats/dist/formats').fullFormats['date-time'] as { validate: (value: string) => boolean };
  return RFC3339_DATE_TIME_SEPARATOR.test(value) && fullDateTime.validate(value);
}

function stripNonSchemaRoots(doc: any): any {
  // ajv treats the registered document as a schema: keep only the subtrees that hold
  // schemas, so that its meta-schema check does not trip on OpenAPI's root fields.
  return { $id: SPEC_ID, paths: doc.paths, webhooks: doc.webhooks, components: doc.components };
}

const compiled = new Map<string, ValidateFunction>();

/** The validator for a JSON pointer into the spec (e.g. `#/components/schemas/Job`). */
export function validatorAt(pointer: string): ValidateFunction {
  let validate = compiled.get(pointer);
  if (!validate) {
    validate = specAjv().getSchema(`${SPEC_ID}${pointer}`);
    if (!validate) throw new Error(`No schema at ${pointer}`);
    compiled.set(pointer, validate);
  }
  return validate;
}

export function schemaValidator(name: keyof Schemas & string): ValidateFunction {
  return validatorAt(`#/components/schemas/${escapePointer(name)}`);
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

/** `/payment_info/prices/attributes/0/value` on the data → `payment_info.prices.attributes[0].value`. */
export function dottedPath(instancePath: string, data: unknown, extra?: string): string {
  const segments = instancePath === '' ? [] : instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) segments.push(extra);
  const typed: Array<string | number> = [];
  let node: any = data;
  for (const segment of segments) {
    typed.push(Array.isArray(node) && /^\d+$/.test(segment) ? Number(segment) : segment);
    node = node == null ? undefined : node[segment];
  }
  return dottedSegments(typed);
}

function valueAt(instancePath: string, data: unknown): unknown {
  if (instancePath === '') return data;
  let node: any = data;
  for (const s of instancePath.slice(1).split('/')) {
    if (node == null) return undefined;
    node = node[s.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
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

export type ValidationResult = { ok: true } | { ok: false; errors: ValidationErrorItem[] };

function run(validate: ValidateFunction, data: unknown, location: ValidationErrorItem['location']): ValidationResult {
  return validate(data) ? { ok: true } : { ok: false, errors: formatErrors(validate.errors, data, location) };
}

/**
 * The contract's size limits (`maxItems`, `maxProperties`), checked before full schema
 * validation. With `allErrors`, ajv's generated code concatenates its error list once per
 * failing item of an array of `$ref` items, which is quadratic: half a million bad items
 * in a 1 MB body would hold the event loop for hours. An oversized array or map is
 * refused on its own, in linear time, before ajv sees it.
 */
export function firstOversized(pointer: string, data: unknown): ValidationErrorItem | null {
  // Paths are built only for the one error found, not for every node walked.
  const segments: Array<string | number> = [];
  const tooMany = (limit: number, what: string): ValidationErrorItem => ({ location: 'body', param: dottedSegments(segments), msg: `must NOT have more than ${limit} ${what}` });
  const walk = (schemaNode: unknown, value: unknown): ValidationErrorItem | null => {
    const schema = resolveRef(schemaNode);
    if (!schema || value === null || typeof value !== 'object') return null;
    if (Array.isArray(value)) {
      if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) return tooMany(schema.maxItems, 'items');
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
    if (typeof schema.maxProperties === 'number' && keys.length > schema.maxProperties) return tooMany(schema.maxProperties, 'properties');
    for (const key of keys) {
      const child = schema.properties && Object.prototype.hasOwnProperty.call(schema.properties, key)
        ? schema.properties[key]
        : typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
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

export function validateRequestBody(operationId: string, body: unknown): ValidationResult {
  const op = getOperation(operationId);
  if (!op.requestBody) return { ok: true };
  const oversized = firstOversized(op.requestBody.pointer, body);
  if (oversized) return { ok: false, errors: [oversized] };
  return run(validatorAt(op.requestBody.pointer), body, 'body');
}

export function validateQueryParameter(operationId: string, name: string, value: unknown): ValidationResult {
  const param = getOperation(operationId).queryParameters.find((p) => p.name === name);
  if (!param) throw new Error(`${operationId} has no query parameter ${name}`);
  return run(validatorAt(param.pointer), value, 'query');
}

/** Validates a header value; `errors[].param` is the header's name. */
export function validateHeaderParameter(operationId: string, name: string, value: unknown): ValidationResult {
  const lower = name.toLowerCase();
  const param = getOperation(operationId).headerParameters.find((p) => p.name === lower);
  if (!param) throw new Error(`${operationId} has no header parameter ${name}`);
  const result = run(validatorAt(param.pointer), value, 'header');
  return result.ok ? result : { ok: false, errors: result.errors.map((e) => ({ ...e, param: lower })) };
}

/** Validates a response body; an undocumented status is itself a violation. */
export function validateResponse(operationId: string, status: number, body: unknown): ValidationResult {
  const op = getOperation(operationId);
  const key = String(status);
  if (!(key in op.responses)) {
    return { ok: false, errors: [{ location: 'body', param: '', msg: `status ${status} is not documented for ${operationId}` }] };
  }
  const pointer = op.responses[key];
  if (pointer === null) {
    return body === undefined || body === '' ? { ok: true } : { ok: false, errors: [{ location: 'body', param: '', msg: `status ${status} of ${operationId} has no body` }] };
  }
  return run(validatorAt(pointer), body, 'body');
}

export function validateWebhookPayload(payload: unknown): ValidationResult {
  return run(schemaValidator('WebhookEvent'), payload, 'body');
}

export function validateSchema(name: keyof Schemas & string, value: unknown): ValidationResult {
  return run(schemaValidator(name), value, 'body');
}

/** The schema node at a pointer, with `$ref`s followed. */
export function schemaAt(pointer: string): any {
  return resolveRef({ $ref: pointer });
}

export { resolveRef as resolveSchema };

/**
 * Splits a body into what the schema declares and what it does not, in one pass: `known`
 * holds only declared fields, `unknown` the dotted paths of the others. Production accepts
 * unknown fields, so the contract reports them as warnings rather than refusing them.
 * Free-form maps (`additionalProperties` schemas) are kept whole. Parts of `known` without
 * an undeclared field are the input's own objects, not copies: the usual body, with none,
 * costs no allocation at all.
 */
export function splitKnownFields<T>(pointer: string, data: T): { known: T; unknown: string[] } {
  const unknown: string[] = [];
  const segments: Array<string | number> = [];
  const pathWith = (key: string) => dottedSegments([...segments, key]);
  const split = (rawSchema: any, value: any): any => {
    const schema = resolveRef(rawSchema);
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
    if (!schema.properties) return value;
    let copy: Record<string, unknown> | null = null;
    const keys = Object.keys(value);
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      if (Object.prototype.hasOwnProperty.call(schema.properties, key)) {
        segments.push(key);
        const child = split(schema.properties[key], value[key]);
        segments.pop();
        if (child !== value[key]) (copy ??= copyKeys(value, keys, k))[key] = child;
        else if (copy) copy[key] = child;
      } else {
        if (unknown.length < MAX_ERROR_ITEMS) unknown.push(pathWith(key));
        copy ??= copyKeys(value, keys, k);
      }
    }
    return copy ?? value;
  };
  return { known: split(schemaAt(pointer), data), unknown };
}

/** A new object with the first `count` of `keys` copied from `value` (own data properties). */
function copyKeys(value: Record<string, unknown>, keys: string[], count: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) Object.defineProperty(out, keys[i], { value: value[keys[i]], enumerable: true, writable: true, configurable: true });
  return out;
}

/** `['a', 0, 'b']` → `a[0].b`: numbers are array indexes, strings are names. */
export function dottedSegments(segments: Array<string | number>): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}

/** Fields the schema does not declare, as dotted paths. */
export function unknownFields(pointer: string, data: unknown): string[] {
  return splitKnownFields(pointer, data).unknown;
}

/** Only the fields the schema declares (sharing the parts that need no change). */
export function knownFieldsOnly<T>(pointer: string, data: T): T {
  return splitKnownFields(pointer, data).known;
}

/** Every example in the spec with the pointer of the schema it illustrates. */
export function specExamples(): Array<{ where: string; pointer: string; value: unknown }> {
  const found: Array<{ where: string; pointer: string; value: unknown }> = [];
  const visitMedia = (media: any, mediaPointer: string, where: string) => {
    if (!media?.schema) return;
    for (const [name, ex] of Object.entries<any>(media.examples ?? {})) {
      found.push({ where: `${where} example ${name}`, pointer: `${mediaPointer}/schema`, value: resolveRef(ex).value });
    }
  };
  const visitOperation = (op: any, base: string, where: string) => {
    if (op.requestBody) {
      const body = resolveRef(op.requestBody);
      const bodyBase = op.requestBody.$ref ?? `${base}/requestBody`;
      visitMedia(body.content?.['application/json'], `${bodyBase}/content/application~1json`, `${where} request`);
    }
    for (const [status, response] of Object.entries<any>(op.responses ?? {})) {
      const resolved = resolveRef(response);
      const responseBase = response.$ref ?? `${base}/responses/${status}`;
      visitMedia(resolved.content?.['application/json'], `${responseBase}/content/application~1json`, `${where} ${status}`);
    }
  };
  for (const [path, item] of Object.entries<any>(spec.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      if (item[method]) visitOperation(item[method], `#/paths/${escapePointer(path)}/${method}`, `${method.toUpperCase()} ${path}`);
    }
  }
  for (const [name, item] of Object.entries<any>(spec.webhooks ?? {})) {
    if (item.post) visitOperation(item.post, `#/webhooks/${escapePointer(name)}/post`, `webhook ${name}`);
  }
  for (const [name, param] of Object.entries<any>(spec.components?.parameters ?? {})) {
    if (param.example !== undefined) found.push({ where: `parameter ${name}`, pointer: `#/components/parameters/${name}/schema`, value: param.example });
  }
  return found;
}

const operationMatchers = operations.map((op) => ({
  op,
  regex: new RegExp(`^${op.path.replace(/\./g, '\\.').replace(/\{\w+\}/g, '[^/]+')}$`),
}));

/** The operation a request is for, by method and path (query string ignored). */
export function findOperation(method: string, path: string): Operation | undefined {
  const bare = path.split('?')[0];
  const upper = method.toUpperCase();
  // Literal paths win over templated ones (`/jobs/availability/v2` before `/jobs/{job_id}`).
  let best: Operation | undefined;
  for (const { op, regex } of operationMatchers) {
    if (op.method !== upper || !regex.test(bare)) continue;
    if (!best || op.pathParameters.length < best.pathParameters.length) best = op;
  }
  return best;
}
