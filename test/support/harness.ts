/**
 * Test-only support: starts a server on an ephemeral port and calls it through supertest
 * that checks every response against the spec (documented status, JSON envelope, schema
 * for that status), so no test can forget to.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { findOperation, responseViolations, spec, validateSchema } from '../../spec/contract';
import { startServer, type RunningServer, type StartOptions } from '../../server/main';
import type { ServerConfig } from '../../server/config';

export interface CallOptions {
  key?: string | null;
  body?: unknown;
  /** Sent as is, instead of `body`. */
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export class ContractViolation extends Error {}

/** Keeps every answer as text (the harness parses JSON itself, to check it exactly as sent). */
function keepText(
  res: NodeJS.ReadableStream & { setEncoding(e: string): void },
  done: (err: Error | null, body: string) => void,
): void {
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    text += chunk;
  });
  res.on('end', () => done(null, text));
  res.on('error', (error: Error) => done(error, text));
}

export class TestApi {
  constructor(
    readonly server: RunningServer,
    readonly key: string = `test-${randomUUID()}`,
  ) {}

  /** The same server, as another tenant. */
  as(key: string): TestApi {
    return new TestApi(this.server, key);
  }

  async call(method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const key = options.key === undefined ? this.key : options.key;
    if (key !== null) headers['x-api-key'] = key;
    let payload: string | Buffer | undefined = options.raw;
    if (payload === undefined && options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    let test = request(this.server.url)
      [method.toLowerCase() as 'get'](path)
      .buffer(true)
      .parse(keepText as unknown as Parameters<request.Test['parse']>[0]);
    for (const [name, value] of Object.entries(headers)) test = test.set(name, value);
    if (payload !== undefined) test = test.send(payload);
    const response = await test.ok(() => true);
    const text: string = response.body ?? '';
    const type = String(response.headers['content-type'] ?? '');
    const parsed = text === '' ? undefined : type.startsWith('application/json') ? JSON.parse(text) : text;
    checkAgainstSpec(method, path, response.status, type, text, parsed, response.headers);
    return {
      status: response.status,
      headers: new Headers(response.headers),
      body: parsed,
      text,
    };
  }

  get(path: string, options?: CallOptions) {
    return this.call('GET', path, options);
  }
  post(path: string, body?: unknown, options?: CallOptions) {
    return this.call('POST', path, { ...options, body });
  }
  put(path: string, body?: unknown, options?: CallOptions) {
    return this.call('PUT', path, { ...options, body });
  }
  delete(path: string, options?: CallOptions) {
    return this.call('DELETE', path, options);
  }

  // ---- common steps -------------------------------------------------------------------

  async slots(overrides: Record<string, unknown> = {}): Promise<any[]> {
    const res = await this.post('/jobs/availability/v2', { ...availabilityRequest(), ...overrides });
    if (res.status !== 200) throw new Error(`availability answered ${res.status}: ${res.text}`);
    return res.body;
  }

  async slotId(): Promise<string> {
    return (await this.slots())[0].id;
  }

  async createJob(
    overrides: Record<string, unknown> = {},
    options?: CallOptions,
  ): Promise<{ id: string; res: CallResult }> {
    const slot_id = (overrides.slot_id as string | undefined) ?? (await this.slotId());
    const res = await this.post('/jobs', { ...createJobRequest(), ...overrides, slot_id }, options);
    if (res.status !== 201) throw new Error(`create answered ${res.status}: ${res.text}`);
    return { id: res.body.job_id, res };
  }

  async advanceClock(seconds: number): Promise<void> {
    const res = await this.post('/sandbox/clock/advance', { seconds });
    if (res.status !== 200) throw new Error(`clock advance answered ${res.status}`);
  }
}

function checkAgainstSpec(
  method: string,
  path: string,
  status: number,
  type: string,
  text: string,
  body: unknown,
  headers: Record<string, string>,
): void {
  const op = findOperation(method, path);
  if (op) {
    // The kit's own judgement (spec/contract/responses.ts): status, media type, schema, required headers.
    const violations = responseViolations(op.operationId, {
      status,
      headers,
      body: text,
      ...(type.startsWith('application/json') ? { json: body } : {}),
    });
    if (violations.length > 0) {
      throw new ContractViolation(
        `${method} ${path} → ${status} breaks the spec: ${violations.join('; ')}\nbody: ${JSON.stringify(body)?.slice(0, 2000)}`,
      );
    }
    return;
  }
  if (!/^\/(jobs|sandbox|healthz)/.test(path)) return; // docs, spec, console
  if (body !== undefined && !type.startsWith('application/json')) {
    throw new ContractViolation(`${method} ${path} → ${status} with content-type ${type}, expected application/json`);
  }
  // Outside the spec's operations only errors have a contract (the envelope); a CORS
  // preflight's 204 is the HTTP layer's own.
  if (status < 400) return;
  const result = validateSchema('Error', body);
  if (!result.ok) {
    throw new ContractViolation(
      `${method} ${path} → ${status} breaks the spec: ${JSON.stringify(result.errors)}\nbody: ${JSON.stringify(body)?.slice(0, 2000)}`,
    );
  }
}

export function availabilityRequest(): any {
  return structuredClone(spec.components.examples.AvailabilityRequest.value);
}

export function createJobRequest(): any {
  const { slot_id: _slotId, ...body } = structuredClone(spec.components.examples.CreateJobRequest.value);
  return body;
}

export function minimalCreateJobRequest(): any {
  const { slot_id: _slotId, ...body } = structuredClone(spec.components.examples.CreateJobRequestMinimal.value);
  return body;
}

/** Starts a quiet server on 127.0.0.1:0 for one test file; stop it with `close`. */
export async function startTestServer(
  config: Partial<ServerConfig> = {},
  options: StartOptions = {},
): Promise<{ server: RunningServer; api: TestApi; close: () => Promise<{ undelivered: number }> }> {
  const server = await startServer(
    { port: 0, host: '127.0.0.1', logLevel: 'silent', webhookRetryJitter: 0, shutdownGraceMs: 200, ...config },
    options,
  );
  return { server, api: new TestApi(server), close: () => server.close() };
}
