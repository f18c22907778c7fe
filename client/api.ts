/**
 * The contract's operations as types, read from spec/types.gen.ts: what `call()` takes for
 * each operation id (path parameters, query, body) and what it answers (the JSON of each
 * documented status, told apart by `status`).
 */
import type { OperationId } from '../spec/contract';
import type { operations } from '../spec/types.gen';
import type { HttpReply } from './transport';
import type { Exchange } from './exchange';

export type { OperationId };

type Spec<O extends OperationId> = operations[O];
type Params<O extends OperationId> = Spec<O>['parameters'];

/** The operation's path parameters, e.g. `{ job_id: string }`; never when it has none. */
export type PathParams<O extends OperationId> = Params<O> extends { path: infer P } ? P : never;
export type QueryParams<O extends OperationId> = NonNullable<Params<O>['query']>;
/** The JSON body the operation documents; never when it takes none. */
export type RequestBody<O extends OperationId> =
  NonNullable<Spec<O>['requestBody']> extends { content: { 'application/json': infer B } } ? B : never;

type Responses<O extends OperationId> = Spec<O>['responses'];
type JsonOf<R> = R extends { content: { 'application/json': infer J } } ? J : undefined;
/** The statuses the spec documents for the operation. */
export type StatusOf<O extends OperationId> = keyof Responses<O> & number;

/**
 * A body the generated types do not describe, sent on purpose: one that breaks the schema,
 * one with fields the contract ignores, or one for an operation chosen at run time. The one
 * way to send such a body, so that every such call says so.
 */
export class UncheckedBody {
  constructor(readonly value: unknown) {}
}

export function uncheckedBody(value: unknown): UncheckedBody {
  return new UncheckedBody(value);
}

/** What every call may set, whatever the operation. */
export interface TransportOptions {
  /** Sent byte for byte (malformed JSON, other media types). */
  rawBody?: string;
  /** Overrides the content type; null sends none. */
  contentType?: string | null;
  /** Overrides the check's key; null sends no `x-api-key` header at all. */
  apiKey?: string | null;
  headers?: Record<string, string>;
}

/** A call of one operation, typed from the spec. */
export interface CallOptions<O extends OperationId> extends TransportOptions {
  pathParams?: PathParams<O>;
  query?: QueryParams<O>;
  /** Sent JSON-encoded with `content-type: application/json`. */
  body?: RequestBody<O> | UncheckedBody;
}

/** A call of an operation picked at run time (a sweep over every operation): nothing to type it by. */
export interface SendOptions extends TransportOptions {
  pathParams?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  body?: UncheckedBody;
}

/** A response as it came, for any operation. */
/** The reply as the transport read it, with the exchange recorded for the report. */
export interface RawResponse extends HttpReply {
  exchange: Exchange;
}

/**
 * A response of operation `O`, one member per documented status (all of them unless `S`
 * narrows), so that `status` tells which JSON the body is. The types say what the
 * contract documents; where an implementation answers otherwise, the call has already
 * recorded the violation and the check fails.
 */
export type ApiResponse<O extends OperationId, S extends StatusOf<O> = StatusOf<O>> = S extends unknown
  ? Omit<RawResponse, 'status' | 'json'> & { status: S; json: JsonOf<Responses<O>[S]> }
  : never;

/** The members of a response union that can have status `S` (a raw response always can). */
export type WithStatus<R extends RawResponse, S extends number> = R extends unknown
  ? S extends R['status']
    ? R
    : never
  : never;

/** The error code of a JSON error body, if it has one. */
export function errorCode(json: unknown): string | undefined {
  const code = json !== null && typeof json === 'object' ? (json as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** The `param` of each `errors[]` item of a 422 body; empty when there are none. */
export function errorParams(json: unknown): unknown[] {
  const errors = json !== null && typeof json === 'object' ? (json as { errors?: unknown }).errors : undefined;
  return Array.isArray(errors)
    ? errors.map((e: unknown) => (e !== null && typeof e === 'object' ? (e as { param?: unknown }).param : undefined))
    : [];
}
