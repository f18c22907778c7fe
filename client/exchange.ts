/**
 * What the client keeps of each call: the request as sent, the response as the contract's
 * one response checker judges it, and the violations it found. The kit's reports show these;
 * a call that got no HTTP answer at all throws a CallFailure carrying its exchange.
 */
import type { HttpAnswer, OperationId } from '../spec/contract';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** A response as the report keeps it: the shape the contract's one response checker judges. */
export type RecordedResponse = HttpAnswer;

/** One HTTP call, with what the contract says about its response. */
export interface Exchange {
  operationId: OperationId;
  request: RecordedRequest;
  response?: RecordedResponse;
  /** Transport failure (refused, reset, timed out), when no response came. */
  error?: string;
  durationMs: number;
  curl: string;
  /** Contract violations of the response; empty when it conforms. */
  violations: string[];
}

/** A call that got no HTTP answer (refused, reset, timed out): the exchange says why. */
export class CallFailure extends Error {
  readonly failure: { message: string; expected: string; received: string; exchange: Exchange };
  constructor(message: string, exchange: Exchange) {
    super(message);
    this.name = 'CallFailure';
    this.failure = { message, expected: 'an HTTP response', received: exchange.error ?? 'no HTTP response', exchange };
  }
}
