import { CallFailure, type Exchange } from '../../client/exchange';

export interface Failure {
  message: string;
  expected?: unknown;
  received?: unknown;
  /** The call that showed the failure, when there is one. */
  exchange?: Exchange;
}

/** Thrown by an assertion: the check cannot go on. */
export class CheckFailure extends Error {
  readonly failure: Failure;
  constructor(message: string, details: Omit<Failure, 'message'> = {}) {
    super(message);
    this.name = 'CheckFailure';
    this.failure = { message, ...details };
  }
}

/** Thrown by `ctx.skip(reason)`: the check does not apply to this implementation or run. */
export class CheckSkipped extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'CheckSkipped';
  }
}

export function failureFromError(error: unknown, lastExchange?: Exchange): Failure {
  if (error instanceof CheckFailure || error instanceof CallFailure) return error.failure;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : `thrown: ${String(error)}`;
  return { message: `the check stopped on an unexpected error: ${message}`, exchange: lastExchange };
}
