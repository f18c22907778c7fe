import type { ServerResponse } from 'node:http';
import type { ErrorCode, ValidationErrorItem } from '../domain/errors';

/**
 * A request refused before it reached the domain: no key, a body that is not JSON or
 * breaks the spec's schema, too large, the wrong media type. The same envelope as a
 * DomainError, raised by the HTTP layer itself.
 */
export class HttpError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { errors?: ValidationErrorItem[]; store?: string } = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The one place where a contract error code becomes an HTTP status. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  MALFORMED_JSON: 400,
  MALFORMED_REQUEST: 400,
  UNAUTHORIZED: 401,
  ROUTE_NOT_FOUND: 404,
  SLOT_NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  WEBHOOK_ENDPOINT_NOT_FOUND: 404,
  WEBHOOK_DELIVERY_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  SLOT_ALREADY_USED: 409,
  ILLEGAL_TRANSITION: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  DELIVERY_CODE_NOT_ENABLED: 409,
  DELIVERY_CODE_FROZEN: 409,
  WEBHOOK_ENDPOINT_LIMIT: 409,
  WEBHOOK_ENDPOINT_DELETED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  SLOT_EXPIRED: 417,
  VALIDATION_FAILED: 422,
  INVALID_DELIVERY_CODE: 422,
  WEBHOOK_URL_REFUSED: 422,
  DELIVERY_CODE_LOCKED: 423,
  TENANT_FULL: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
  STORE_UNAVAILABLE: 503,
  FAULT_NOT_FOUND: 404,
  // A fault rule chooses its own status (server/http/faults.ts); this is only the default.
  FAULT_INJECTED: 500,
};

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  errors?: ValidationErrorItem[];
  attempts_remaining?: number;
  request_id?: string;
  /** With STORE_UNAVAILABLE from /readyz: the kind of store that did not answer. */
  store?: string;
  fault_id?: string;
}

/** Lists stop early rather than build a string past V8's limit (about 512 MB) and fail. */
export const MAX_LIST_RESPONSE_CHARS = 64 * 1024 * 1024;

/**
 * JSON text of a response. A list is written item by item and ends early, still valid
 * JSON, once the next item would pass `maxChars`: its items can each be up to the 1 MB a
 * request may carry, so a long list could otherwise outgrow what a string can hold.
 */
export function responseText(body: unknown, maxChars = MAX_LIST_RESPONSE_CHARS): string {
  if (!Array.isArray(body)) return JSON.stringify(body);
  const parts: string[] = [];
  let size = 2;
  for (const item of body) {
    const text = JSON.stringify(item);
    if (size + text.length + 1 > maxChars) break;
    parts.push(text);
    size += text.length + 1;
  }
  return `[${parts.join(',')}]`;
}

/**
 * Writes a whole answer in one call. The status line and every header go to writeHead
 * together, which spares the per-header bookkeeping of setHeader: the API's answers set
 * nothing before this (their request id comes from the request, here), so writeHead takes
 * its direct path.
 */
export function sendReply(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number> = {},
  text?: string,
): void {
  const requestId = res.req?.requestId;
  const all: Record<string, string | number> =
    requestId === undefined ? { ...headers } : { 'x-request-id': requestId, ...headers };
  if (text !== undefined) {
    all['content-type'] = 'application/json; charset=utf-8';
    all['content-length'] = Buffer.byteLength(text);
  }
  res.writeHead(status, all);
  res.end(text);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendReply(res, status, headers, responseText(body));
}

export function sendError(res: ServerResponse, body: ErrorBody, headers: Record<string, string> = {}): void {
  sendJson(res, STATUS_BY_CODE[body.code], body, headers);
}

/** A whole HTTP/1.1 error response, for sockets that never became a request. */
export function rawErrorResponse(code: ErrorCode, message: string): string {
  const text = JSON.stringify({ code, message });
  const status = STATUS_BY_CODE[code];
  const reason = status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`;
}
