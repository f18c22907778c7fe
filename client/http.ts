/**
 * The kit's only way to reach an implementation. Every response is judged against the
 * contract here (documented status, JSON media type, body schema, required headers), so
 * no check can forget to; a violation is reported to the check that made the call.
 * `call` is typed per operation id from the spec; `send` serves sweeps over operations
 * picked at run time.
 */
import { getOperation, responseViolations, type Operation } from '../spec/contract';
import {
  UncheckedBody,
  type ApiResponse,
  type CallOptions,
  type OperationId,
  type RawResponse,
  type SendOptions,
} from './api';
import { curlCommand } from './curl';
import { CallFailure, type Exchange, type RecordedRequest, type RecordedResponse } from './exchange';
import { HttpClient } from './transport';

/** Kept in reports; a hostile implementation may answer with megabytes. */
const MAX_RECORDED_BODY_CHARS = 64 * 1024;

export interface ClientConfig {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  /** Contract-level checks may not touch the /sandbox controls. */
  allowSandbox: boolean;
  signal?: AbortSignal;
  onExchange(exchange: Exchange): void;
}

export { responseViolations };

/** The operation's path with its parameters filled in, and the query string. */
export function pathFor(
  op: Operation,
  pathParams: Record<string, string> = {},
  query: SendOptions['query'] = {},
): string {
  const path = op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const value = pathParams[name];
    if (value === undefined) throw new Error(`${op.operationId} needs path parameter ${name}`);
    return encodeURIComponent(value);
  });
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) search.set(name, String(value));
  const qs = search.toString();
  return `${path}${qs ? `?${qs}` : ''}`;
}

function truncate(text: string): string {
  return text.length > MAX_RECORDED_BODY_CHARS
    ? `${text.slice(0, MAX_RECORDED_BODY_CHARS)}… (${text.length - MAX_RECORDED_BODY_CHARS} more characters)`
    : text;
}

export class ContractClient {
  private readonly http: HttpClient;

  constructor(private readonly config: ClientConfig) {
    this.http = new HttpClient(config.baseUrl, config.timeoutMs, config.signal);
  }

  get apiKey(): string {
    return this.config.apiKey;
  }

  /** Calls an operation with the request its generated types describe. */
  async call<O extends OperationId>(operationId: O, options: CallOptions<O> = {}): Promise<ApiResponse<O>> {
    const { body, pathParams, query, ...transport } = options;
    const response = await this.transmit(getOperation(operationId), {
      ...transport,
      pathParams: pathParams as Record<string, string> | undefined,
      query,
      body: body instanceof UncheckedBody ? body.value : body,
    });
    // Typed as the spec documents it: an answer outside that is already a recorded violation.
    return response as ApiResponse<O>;
  }

  /** Calls an operation picked at run time; any body it carries is marked unchecked. */
  send(op: Operation, options: SendOptions = {}): Promise<RawResponse> {
    return this.transmit(op, { ...options, body: options.body?.value });
  }

  protected async transmit(
    op: Operation,
    options: Omit<SendOptions, 'body'> & { body?: unknown },
  ): Promise<RawResponse> {
    const operationId = op.operationId;
    if (op.sandbox && !this.config.allowSandbox) {
      throw new Error(`a contract-level check may not call the sandbox operation ${operationId}`);
    }
    const path = pathFor(op, options.pathParams, options.query);
    const url = this.http.url(path);
    const headers: Record<string, string> = { accept: 'application/json' };
    const apiKey = options.apiKey === undefined ? this.config.apiKey : options.apiKey;
    if (apiKey !== null) headers['x-api-key'] = apiKey;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    const contentType =
      options.contentType === undefined ? (body === undefined ? null : 'application/json') : options.contentType;
    if (contentType !== null) headers['content-type'] = contentType;
    Object.assign(headers, options.headers ?? {});
    const request: RecordedRequest = { method: op.method, url, headers, ...(body === undefined ? {} : { body }) };

    const started = performance.now();
    const exchange: Exchange = { operationId, request, durationMs: 0, curl: curlCommand(request), violations: [] };
    try {
      const reply = await this.http.request({ method: op.method, path, headers, body });
      const { status, headers: responseHeaders, text, json } = reply;
      const recorded: RecordedResponse = {
        status,
        headers: responseHeaders,
        body: text,
        ...(json === undefined ? {} : { json }),
      };
      exchange.violations = responseViolations(operationId, recorded);
      exchange.response = { ...recorded, body: truncate(text) };
      exchange.durationMs = performance.now() - started;
      this.config.onExchange(exchange);
      return { ...reply, exchange };
    } catch (error) {
      // Duck-typed: abort reasons are DOMExceptions, which come from another realm under test runners.
      const { name, message, cause } = (error ?? {}) as {
        name?: unknown;
        message?: unknown;
        cause?: { message?: unknown };
      };
      const timedOut = name === 'TimeoutError' || name === 'AbortError';
      const why = cause && typeof cause.message === 'string' ? `: ${cause.message}` : '';
      exchange.error = timedOut
        ? `no answer within ${this.config.timeoutMs} ms`
        : `${typeof message === 'string' ? message : String(error)}${why}`;
      exchange.durationMs = performance.now() - started;
      this.config.onExchange(exchange);
      throw new CallFailure(`${op.method} ${op.path} failed: ${exchange.error}`, exchange);
    }
  }
}
