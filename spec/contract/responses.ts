/**
 * The one judgement of a response against the contract, for the kit and the tests alike:
 * a documented status, a JSON media type when the spec documents a body, a body valid
 * against its schema, and the headers the spec requires.
 */
import { getOperation } from './operations';
import { validateResponse } from './validators';

export interface HttpAnswer {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json?: unknown;
}

/** What is wrong with a response according to the contract; empty when nothing is. */
export function responseViolations(operationId: string, response: HttpAnswer): string[] {
  const op = getOperation(operationId);
  const status = String(response.status);
  const documented = Object.keys(op.responses);
  if (!documented.includes(status)) {
    return [`status ${status} is not documented for ${operationId} (documented: ${documented.join(', ')})`];
  }
  const violations: string[] = [];
  const pointer = op.responses[status];
  const contentType = response.headers['content-type'] ?? '';
  if (pointer === null) {
    if (response.body !== '')
      violations.push(
        `status ${status} of ${operationId} has no body in the spec, got ${response.body.length} characters`,
      );
  } else {
    if (!/^application\/json\s*(;|$)/i.test(contentType)) {
      violations.push(
        `content-type must be application/json, got ${contentType === '' ? 'none' : JSON.stringify(contentType)}`,
      );
    }
    if (response.json === undefined) {
      violations.push(
        response.body === '' ? 'the body is empty; the spec documents a JSON body' : 'the body is not valid JSON',
      );
    } else {
      const result = validateResponse(operationId, response.status, response.json);
      if (!result.ok) {
        for (const error of result.errors)
          violations.push(`body${error.param === '' ? '' : `.${error.param}`}: ${error.msg}`);
      }
    }
  }
  for (const header of op.requiredResponseHeaders[status] ?? []) {
    if (!(header in response.headers)) violations.push(`required header ${header} is missing`);
  }
  return violations;
}
