/**
 * The compiled contract: spec/openapi.yaml loaded once (contract/document), its operations
 * indexed (contract/operations), and ajv (JSON Schema 2020-12) validators compiled from it
 * (contract/validators). Server, conformance kit and fixture factory all import this
 * module; nothing else compiles schemas.
 */
export {
  SPEC_PATH,
  spec,
  specText,
  HTTP_METHODS,
  type HttpMethod,
  type SpecDocument,
  type SchemaNode,
  type OperationObject,
  type Ref,
} from './contract/document';
export { escapePointer, resolveRef, resolveSchema, schemaAt } from './contract/refs';
export {
  FINAL_STATES,
  findOperation,
  getOperation,
  JOB_STATES,
  LIFECYCLE,
  operationObject,
  operations,
  operationsById,
  webhookEventTypes,
  type Operation,
  type OperationId,
  type WebhookOperationId,
  type Parameter,
  type Schemas,
} from './contract/operations';
export {
  dottedPath,
  dottedSegments,
  formatErrors,
  PATTERN_WORDS,
  type ValidationErrorItem,
  type ValidationResult,
} from './contract/errors';
export { firstOversized } from './contract/limits';
export {
  compareInstants,
  epochMilliseconds,
  formatInstant,
  millisecondsBetween,
  parseInstant,
  plus,
  sameInstant,
  secondsToReach,
  tryInstant,
  type Instant,
} from './contract/instant';
export { knownFieldsOnly, splitKnownFields, unknownFields } from './contract/fields';
export {
  isRfc3339DateTime,
  isSchema,
  schemaValidator,
  validateHeaderParameter,
  validateQueryParameter,
  validateRequestBody,
  validateResponse,
  validateSchema,
  validateWebhookPayload,
  validatorAt,
} from './contract/validators';
export { EXAMPLE_SCHEMAS, example, specExamples, type ExampleName, type ExampleValue } from './contract/examples';
export { responseViolations, type HttpAnswer } from './contract/responses';
export {
  instaLeapSignature,
  webhookHeaders,
  webhookPayloadText,
  webhookSigner,
  WEBHOOK_USER_AGENT,
  type InstaLeapSigned,
  type SignableDelivery,
  type WebhookSigner,
} from './contract/webhook-signing';
