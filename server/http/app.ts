/**
 * The HTTP adapter: routes come from the spec's operations, every request goes through one
 * pipeline (request id, auth, body, validation against the compiled contract, the domain,
 * the reply) and every error becomes the contract's envelope in one place.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { findOperation, operations, resolveSchema, schemaAt, specText, validateHeaderParameter, validateQueryParameter, validateRequestBody, type Operation } from '../../spec/contract';
import type { operations as OperationTypes } from '../../spec/types.gen';
import { DomainError } from '../domain/errors';
import type { Sandbox } from '../domain/sandbox';
import type { Outbox } from '../webhooks/outbox';
import { apiKeyOf } from './auth';
import { readJsonBody } from './body';
import { sendError, sendJson } from './errors';
import { mountDocs } from './docs';
import { RouteTable } from './routes';

export interface AppOptions {
  sandbox: Sandbox;
  outbox: Outbox;
  logger: Logger;
  /** When set, only these keys open tenants; otherwise any non-empty key does. */
  apiKeys: ReadonlySet<string> | null;
  maxBodyBytes: number;
  /** Answer browsers from any origin, preflights included. */
  cors?: boolean;
  version: string;
  /** Extra routers (e.g. the console), mounted after the API's operations, so none can shadow one. */
  extensions?: Array<(app: express.Express) => void>;
}

export interface RequestContext {
  key: string;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: any;
  headers: IncomingMessage['headers'];
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Handler = (ctx: RequestContext) => Reply | Promise<Reply>;

const REQUEST_ID = /^[\w.:-]{1,128}$/;

declare module 'node:http' {
  interface IncomingMessage {
    requestId?: string;
  }
}

/** Webhook operations (`on...`) are what receivers implement, not this server. */
type ServerOperationId = Exclude<keyof OperationTypes, `on${string}`>;

function handlers({ sandbox, outbox, version }: AppOptions): Record<ServerOperationId, Handler> {
  const ok = (body: unknown, status = 200): Reply => ({ status, body });
  return {
    getAvailability: ({ key, body }) => ok(sandbox.availability(key, body)),
    checkSlot: ({ key, params }) => ok(sandbox.checkSlot(key, params.slot_id)),
    extendSlot: ({ key, params }) => ok(sandbox.extendSlot(key, params.slot_id)),
    createJob: ({ key, body, headers }) => {
      const idempotencyKey = headers['idempotency-key'];
      const result = sandbox.createJob(key, body, typeof idempotencyKey === 'string' ? idempotencyKey : undefined);
      return { status: result.status, body: result.body, headers: result.replayed ? { ...result.headers, 'Idempotent-Replayed': 'true' } : result.headers };
    },
    getJob: ({ key, params }) => ok(sandbox.getJob(key, params.job_id)),
    cancelJob: ({ key, params, body }) => ok(sandbox.cancelJob(key, params.job_id, body ?? undefined)),
    updateDeliveryCode: ({ key, params, body }) => ok(sandbox.updateDeliveryCode(key, params.job_id, body)),
    rescheduleJob: ({ key, params, body }) => ok(sandbox.rescheduleJob(key, params.job_id, body)),
    updatePaymentInfo: ({ key, params, body }) => ok(sandbox.updatePaymentInfo(key, params.job_id, body)),
    replaceExternalData: ({ key, params, body }) => ok(sandbox.replaceExternalData(key, params.job_id, body)),
    getHealth: () => ok({ status: 'ok', version }),
    getClock: ({ key }) => ok(sandbox.clock(key)),
    advanceClock: ({ key, body }) => {
      const clock = sandbox.advanceClock(key, body.seconds);
      outbox.onClockAdvanced(key);
      return ok(clock);
    },
    freezeClock: ({ key }) => ok(sandbox.freezeClock(key)),
    unfreezeClock: ({ key }) => {
      const clock = sandbox.unfreezeClock(key);
      outbox.onClockAdvanced(key);
      return ok(clock);
    },
    listJobs: ({ key, query }) => ok(sandbox.listJobs(key, query)),
    advanceJob: ({ key, params, body }) => ok(sandbox.advanceJob(key, params.job_id, body ?? undefined)),
    updateRecipientInstructions: ({ key, params, body }) => ok(sandbox.updateRecipientInstructions(key, params.job_id, body)),
    listWebhookEndpoints: ({ key }) => ok(outbox.listEndpoints(key)),
    createWebhookEndpoint: async ({ key, body }) => ok(await outbox.createEndpoint(key, body), 201),
    deleteWebhookEndpoint: ({ key, params }) => {
      outbox.deleteEndpoint(key, params.endpoint_id);
      return { status: 204 };
    },
    listWebhookDeliveries: ({ key, query }) => ok(outbox.listDeliveries(key, query)),
    retryWebhookDelivery: ({ key, params }) => ok(outbox.retryDelivery(key, params.delivery_id), 202),
    resetTenant: ({ key }) => {
      sandbox.reset(key);
      return ok({ message: 'Tenant reset' });
    },
  };
}

/** Query strings are text; the spec's parameter schemas say what to make of them. */
function readQuery(op: Operation, req: Request): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (op.queryParameters.length === 0) return out;
  const raw = req.query as Record<string, unknown>;
  for (const param of op.queryParameters) {
    const value = raw[param.name];
    if (value === undefined) continue;
    const schema = resolveSchema(schemaAt(param.pointer));
    const parsed = typeof value === 'string' && schema?.type === 'integer' && /^-?\d{1,15}$/.test(value) ? Number(value) : value;
    const result = validateQueryParameter(op.operationId, param.name, parsed);
    if (!result.ok) {
      throw new DomainError('VALIDATION_FAILED', 'The query is invalid', { errors: result.errors.map((e) => ({ ...e, param: param.name })) });
    }
    out[param.name] = parsed;
  }
  return out;
}

function checkHeaders(op: Operation, req: IncomingMessage): void {
  for (const { name } of op.headerParameters) {
    const value = req.headers[name];
    if (value === undefined) continue;
    const result = validateHeaderParameter(op.operationId, name, value);
    if (!result.ok) throw new DomainError('VALIDATION_FAILED', `The ${name} header is invalid`, { errors: result.errors });
  }
}

function authenticate(req: IncomingMessage, apiKeys: ReadonlySet<string> | null): string {
  const key = apiKeyOf(req, apiKeys);
  if (key === null) throw new DomainError('UNAUTHORIZED', 'Missing or invalid x-api-key header');
  return key;
}

export function createApp(options: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  const table = handlers(options);
  const { logger } = options;

  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    const started = performance.now();
    res.on('finish', () => {
      logger.info({ req_id: requestId, method: req.method, url: req.originalUrl.slice(0, 300), status: res.statusCode, ms: Math.round((performance.now() - started) * 100) / 100 }, 'request');
    });
    next();
  });

  if (options.cors) {
    const exposed = 'Location, x-request-id, Idempotent-Replayed';
    app.use((req: Request, res: Response, next: NextFunction) => {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Expose-Headers', exposed);
      if (req.method !== 'OPTIONS' || !req.headers['access-control-request-method']) return next();
      // A preflight: the methods the spec lists for this path, any header the browser asks for.
      const methods = operations.filter((op) => findOperation(op.method, req.path) === op).map((op) => op.method);
      if (methods.length === 0) return next();
      res.setHeader('Access-Control-Allow-Methods', methods.join(', '));
      res.setHeader('Access-Control-Allow-Headers', String(req.headers['access-control-request-headers'] ?? ''));
      res.setHeader('Access-Control-Max-Age', '600');
      res.statusCode = 204;
      res.end();
    });
  }

  // The API's operations are dispatched by one middleware holding a table compiled from the
  // spec, so an API request costs one look-up rather than a walk over a route per operation.
  const routes = new RouteTable(operations.map((op) => ({ method: op.method, path: op.path, target: op })));
  const serve = async (op: Operation, params: Record<string, string>, req: Request, res: Response): Promise<void> => {
    const key = op.secured ? authenticate(req, options.apiKeys) : '';
    checkHeaders(op, req);
    let body: unknown;
    if (op.requestBody) {
      const read = await readJsonBody(req, options.maxBodyBytes);
      if (!read.present && op.requestBody.required) throw new DomainError('MALFORMED_JSON', 'A JSON body is required');
      body = read.present ? read.value : undefined;
      if (body !== undefined) {
        const result = validateRequestBody(op.operationId, body);
        if (!result.ok) throw new DomainError('VALIDATION_FAILED', 'The request body is invalid', { errors: result.errors });
      }
    }
    const reply = await table[op.operationId as ServerOperationId]({ key, params, query: readQuery(op, req), body, headers: req.headers });
    if (reply.body === undefined) {
      res.statusCode = reply.status;
      for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
      res.end();
    } else sendJson(res, reply.status, reply.body, reply.headers);
  };
  app.use((req: Request, res: Response, next: NextFunction) => {
    const found = routes.match(req.method, req.path);
    if (found?.kind !== 'route') return next();
    serve(found.target, found.params, req, res).catch(next);
  });

  for (const extend of options.extensions ?? []) extend(app);
  mountDocs(app, specText);

  // A known path with a method the spec does not list: 405 with the methods it does.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const found = routes.match(req.method, req.path);
    if (found?.kind !== 'method-not-allowed') return next();
    sendError(res, { code: 'METHOD_NOT_ALLOWED', message: `${req.method} is not allowed here; use ${found.allow}` }, { Allow: found.allow });
  });

  app.use((req: Request, res: Response) => {
    sendError(res, { code: 'ROUTE_NOT_FOUND', message: `No route ${req.method} ${req.path.slice(0, 200)}` });
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof DomainError) {
      const headers: Record<string, string> = error.code === 'PAYLOAD_TOO_LARGE' ? { Connection: 'close' } : {};
      sendError(res, { code: error.code, message: error.message, ...error.details }, headers);
      return;
    }
    const status = (error as { status?: number; statusCode?: number })?.status ?? (error as { statusCode?: number })?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Raised by Express itself, e.g. a path segment that is not valid percent-encoding.
      sendError(res, { code: 'MALFORMED_REQUEST', message: (error as Error).message ?? 'Bad request' });
      return;
    }
    logger.error({ req_id: req.requestId, err: error }, 'unhandled error');
    sendError(res, { code: 'INTERNAL', message: 'Internal error', request_id: req.requestId });
  });

  return app;
}
