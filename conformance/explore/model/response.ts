/** An answer as the model's rules read it, and its body read as the spec documents it. */
import type { OperationId } from '../../../spec/contract';
import type { ApiResponse, StatusOf } from '../../../client/api';

export interface Response {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/**
 * The body of an answer read as the JSON the spec documents for the operation at that
 * status. Honest because the session judges every answer against the spec before a rule
 * reads it (a violation is a Mismatch), and a rule reads only the answer of its own status.
 */
export function documented<O extends OperationId, S extends StatusOf<O>>(
  r: Response,
  _operationId: O,
  _status: S,
): ApiResponse<O, S>['json'] {
  return r.body as ApiResponse<O, S>['json'];
}
