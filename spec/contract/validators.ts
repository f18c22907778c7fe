/**
 * The ajv (JSON Schema 2020-12) validators compiled from the spec, one per pointer, and
 * the validations the server, the kit and the fixture factory run with them.
 */
import type Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv/dist/2020';
import { spec, type SpecDocument } from './document';
import { formatErrors, type ValidationErrorItem, type ValidationResult } from './errors';
import { firstOversized } from './limits';
import { getOperation, type Schemas } from './operations';
import { escapePointer } from './refs';

const SPEC_ID = 'lastmile-openapi';

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
  fullDateTime ??= (require('ajv-formats/dist/formats') as typeof import('ajv-formats/dist/formats')).fullFormats[
    'date-time'
  ] as { validate: (value: string) => boolean };
  return RFC3339_DATE_TIME_SEPARATOR.test(value) && fullDateTime.validate(value);
}

function stripNonSchemaRoots(doc: SpecDocument): object {
  // ajv treats the registered document as a schema: keep only the subtrees that hold
  // schemas, so that its meta-schema check does not trip on OpenAPI's root fields.
  return { $id: SPEC_ID, paths: doc.paths, webhooks: doc.webhooks, components: doc.components };
}

let ajv: Ajv2020 | null = null;

/** ajv and the spec's schemas load at the first validation: at start-up they cost about 100 ms. */
function specAjv(): Ajv2020 {
  if (ajv) return ajv;
  const Ajv: typeof Ajv2020 = (require('ajv/dist/2020') as typeof import('ajv/dist/2020')).default;
  const addFormats: typeof import('ajv-formats').default = (require('ajv-formats') as typeof import('ajv-formats'))
    .default;
  ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, validateFormats: true });
  addFormats(ajv);
  ajv.addFormat('date-time', { type: 'string', validate: isRfc3339DateTime });
  // OpenAPI annotations that are not JSON Schema keywords.
  ajv.addVocabulary(['example', 'xml', 'externalDocs', 'discriminator', 'paths', 'webhooks', 'components']);
  // The whole document is registered once; validators are compiled per pointer and cached.
  ajv.addSchema(stripNonSchemaRoots(spec), SPEC_ID);
  return ajv;
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

export function schemaValidator(name: keyof Schemas): ValidateFunction {
  return validatorAt(`#/components/schemas/${escapePointer(name)}`);
}

function run(validate: ValidateFunction, data: unknown, location: ValidationErrorItem['location']): ValidationResult {
  return validate(data) ? { ok: true } : { ok: false, errors: formatErrors(validate.errors, data, location) };
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
    return {
      ok: false,
      errors: [{ location: 'body', param: '', msg: `status ${status} is not documented for ${operationId}` }],
    };
  }
  const pointer = op.responses[key];
  if (pointer === null) {
    return body === undefined || body === ''
      ? { ok: true }
      : { ok: false, errors: [{ location: 'body', param: '', msg: `status ${status} of ${operationId} has no body` }] };
  }
  return run(validatorAt(pointer), body, 'body');
}

export function validateWebhookPayload(payload: unknown): ValidationResult {
  return run(schemaValidator('WebhookEvent'), payload, 'body');
}

export function validateSchema(name: keyof Schemas, value: unknown): ValidationResult {
  return run(schemaValidator(name), value, 'body');
}

/** Whether `value` is valid against the named schema, as a type guard for the generated type. */
export function isSchema<N extends keyof Schemas>(name: N, value: unknown): value is Schemas[N] {
  return schemaValidator(name)(value);
}
