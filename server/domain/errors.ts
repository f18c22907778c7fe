import type { Schemas } from '../../spec/contract';

export type ErrorCode = Schemas['ErrorCode'];
export type ValidationErrorItem = Schemas['ValidationErrorItem'];

/**
 * A refusal the client caused, as a value with a contract code. The domain throws these;
 * the HTTP adapter turns them into statuses in one place.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { errors?: ValidationErrorItem[]; attempts_remaining?: number } = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export function validationFailed(errors: ValidationErrorItem[], message = 'The request is invalid'): DomainError {
  return new DomainError('VALIDATION_FAILED', message, { errors });
}
