/**
 * The HTTP adapter: routes come from the spec's operations, every request goes through one
 * pipeline (request id, auth, body, validation against the compiled contract, the domain,
 * the reply) and every error becomes the contract's envelope in one place.
 */
import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import {
  operations,
  resolveSchema,
  schemaAt,
  specText,
  validateHeaderParameter,
  validateQueryParameter,
  validateRequestBody,
  type Operation,
} from '../../spec/contract';
import { DomainError } from '../domain/errors';
import { newUuid } from '../domain/ids';
import { StoreUnavailableError } from '../domain/store';
import { handlers, type Readiness, type RequestContext, type ServerOperationId } from './handlers';
import type { Gate, Sandbox } from '../application/sandbox';
import type { FaultRules } from '../faults/faults';
import type { Outbox } from '../webhooks/outbox';
import { FaultLayer, type Outcome } from './faults';
import { apiKeyOf } from './auth';
import { readJsonBody } from './body';
import { HttpError, sendError, sendJson, sendReply } from './errors';
import { mountDocs } from './docs';
import { mountHome } from './home';
import { RouteTable } from './routes';

export interface AppOptions {
  sandbox: Sandbox;
  outbox: Outbox;
  faults: FaultRules;
  logger: Logger;
  /** When set, only these keys open tenants; otherwise any non-empty key does. */
  apiKeys: ReadonlySet<string> | null;
  maxBodyBytes: number;
  /** Answer browsers from any origin, preflights included. */
  cors?: boolean;
  version: string;
  /** What /readyz asks: the store's kind, and whether it answers. */
  readiness: Readiness;
  /** Told of every answered request: its operation id (null outside the spec's), status and duration (the metrics). */
  observe?: (operationId: string | null, status: number, seconds: number) => void;
  /** Extra routers (e.g. the console), mounted after the API's operations, so none can shadow one. */
  extensions?: Array<(app: express.Express) => void>;
  /** Aborted as the server closes: faults release the connections they hold. */
  closing?: AbortSignal;
}

/** Any handler, as the one pipeline calls it with what it validated against that operation's schemas. */
type AnyHandler = (ctx: RequestContext<ServerOperationId>) => Promise<{
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  stream?: (req: IncomingMessage, res: Response) => void;
}>;

const REQUEST_ID = /^[\w.:-]{1,128}$/;

declare module 'node:http' {
  interface IncomingMessage {
    requestId?: string;
  }
}

/** The query parameters whose schema is an integer, read once from the spec. */
const INTEGER_QUERY_POINTERS: ReadonlySet<string> = new Set(
  operations
    .flatMap((op) => op.queryParameters)
    .filter((param) => resolveSchema(schemaAt(param.pointer))?.type === 'integer')
    .map((param) => param.pointer),
);

/** Query strings are text; the spec's parameter schemas say what to make of them. */
function readQuery(op: Operation, req: Request): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (op.queryParameters.length === 0) return out;
  const raw = req.query as Record<string, unknown>;
  for (const param of op.queryParameters) {
    const value = raw[param.name];
    if (value === undefined) continue;
    const parsed =
      typeof value === 'string' && INTEGER_QUERY_POINTERS.has(param.pointer) && /^-?\d{1,15}$/.test(value)
        ? Number(value)
        : value;
    const result = validateQueryParameter(op.operationId, param.name, parsed);
    if (!result.ok) {
      throw new HttpError('VALIDATION_FAILED', 'The query is invalid', {
        errors: result.errors.map((e) => ({ ...e, param: param.name })),
      });
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
    if (!result.ok)
      throw new HttpError('VALIDATION_FAILED', `The ${name} header is invalid`, { errors: result.errors });
  }
}

function authenticate(req: IncomingMessage, apiKeys: ReadonlySet<string> | null): string {
  const key = apiKeyOf(req, apiKeys);
  if (key === null) throw new HttpError('UNAUTHORIZED', 'Missing or invalid x-api-key header');
  return key;
}

export function createApp(options: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  const table = handlers(options);
  const { logger, observe } = options;
  const faultLayer = new FaultLayer(options.faults, logger);
  options.closing?.addEventListener('abort', () => faultLayer.close(), { once: true });

  /** Every error, from the pipeline or from Express, becomes the contract's envelope here. */
  const answerError = (error: unknown, req: Request, res: Response): void => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof DomainError || error instanceof HttpError) {
      const headers: Record<string, string> =
        error.code === 'PAYLOAD_TOO_LARGE'
          ? { Connection: 'close' }
          : error.code === 'STORE_UNAVAILABLE'
            ? { 'Retry-After': '1' }
            : {};
      sendError(res, { code: error.code, message: error.message, ...error.details }, headers);
      return;
    }
    if (error instanceof StoreUnavailableError) {
      // The outage itself is logged once, when it starts and when it ends (server/ops/outage.ts).
      sendError(res, { code: 'STORE_UNAVAILABLE', message: error.message }, { 'Retry-After': '1' });
      return;
    }
    const status =
      (error as { status?: number; statusCode?: number })?.status ?? (error as { statusCode?: number })?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Raised by Express or the route table, e.g. a path segment that is not valid percent-encoding.
      sendError(res, { code: 'MALFORMED_REQUEST', message: (error as Error).message ?? 'Bad request' });
      return;
    }
    logger.error({ req_id: req.requestId, err: error }, 'unhandled error');
    sendError(res, { code: 'INTERNAL', message: 'Internal error', request_id: req.requestId });
  };

  // The API's operations are dispatched by one middleware holding a table compiled from the
  // spec, so an API request costs one look-up rather than a walk over a route per operation.
  const routes = new RouteTable(operations.map((op) => ({ method: op.method, path: op.path, target: op })));
  const specMethods = [...new Set(operations.map((op) => op.method))];
  /** The methods this server serves at a path, found by the same table that dispatches them. */
  const methodsAt = (path: string): string[] => {
    try {
      return specMethods.filter((method) => routes.match(method, path)?.kind === 'route');
    } catch {
      return []; // a path that is not valid percent-encoding is no route at all
    }
  };

  const exposed = 'Location, x-request-id, Idempotent-Replayed';
  /** CORS headers on every answer; true when this was a preflight, now answered. */
  const corsAnswered = (req: Request, res: Response): boolean => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', exposed);
    if (req.method !== 'OPTIONS' || !req.headers['access-control-request-method']) return false;
    // A preflight: the methods the spec lists for this path, any header the browser asks for.
    const methods = methodsAt(req.path);
    if (methods.length === 0) return false;
    res.setHeader('Access-Control-Allow-Methods', methods.join(', '));
    res.setHeader('Access-Control-Allow-Headers', String(req.headers['access-control-request-headers'] ?? ''));
    res.setHeader('Access-Control-Max-Age', '600');
    res.statusCode = 204;
    res.end();
    return true;
  };

  const serve = async (op: Operation, params: Record<string, string>, req: Request, res: Response): Promise<void> => {
    const key = op.secured ? authenticate(req, options.apiKeys) : '';
    checkHeaders(op, req);
    let body: unknown;
    if (op.requestBody) {
      const read = await readJsonBody(req, options.maxBodyBytes);
      if (!read.present && op.requestBody.required) throw new HttpError('MALFORMED_JSON', 'A JSON body is required');
      body = read.present ? read.value : undefined;
      if (body !== undefined) {
        const result = validateRequestBody(op.operationId, body);
        if (!result.ok)
          throw new HttpError('VALIDATION_FAILED', 'The request body is invalid', { errors: result.errors });
      }
    }
    const handler = table[op.operationId] as unknown as AnyHandler;
    const query = readQuery(op, req);
    const invoke = (gate?: Gate): Promise<Outcome> =>
      handler({
        key,
        gate,
        params: params as RequestContext<ServerOperationId>['params'],
        query,
        body: body as RequestContext<ServerOperationId>['body'],
        headers: req.headers,
      }).then(
        (reply) => ({
          reply: () => {
            if (reply.stream) reply.stream(req, res);
            else if (reply.body === undefined) sendReply(res, reply.status, reply.headers);
            else sendJson(res, reply.status, reply.body, reply.headers);
          },
        }),
        (error: unknown) => ({ error }),
      );
    const deliver = (outcome: Outcome): void => {
      if ('error' in outcome) throw outcome.error;
      outcome.reply();
    };
    if (op.sandbox) return deliver(await invoke());
    await faultLayer.around(op.operationId, body, req, res, invoke, deliver);
  };

  // Every request: its id, its log line, CORS when asked; then an API operation is served
  // here, in the same middleware, and everything else goes on to the console and the docs.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : newUuid();
    req.requestId = requestId;
    const started = performance.now();
    const log = () => {
      observe?.(
        found?.kind === 'route' ? found.target.operationId : null,
        res.statusCode,
        (performance.now() - started) / 1000,
      );
      logger.info(
        {
          req_id: requestId,
          method: req.method,
          url: req.originalUrl.slice(0, 300),
          status: res.statusCode,
          ms: Math.round((performance.now() - started) * 100) / 100,
        },
        'request',
      );
    };
    let found: ReturnType<typeof routes.match> = null;
    let unreadable: unknown;
    try {
      found = routes.match(req.method, req.path);
    } catch (error) {
      unreadable = error; // a path parameter that is not valid percent-encoding
    }
    // An API answer carries the id from sendReply; every other answer gets it now.
    if (found?.kind !== 'route' || options.cors) res.setHeader('x-request-id', requestId);
    if (options.cors && corsAnswered(req, res)) {
      log();
      return;
    }
    if (unreadable !== undefined) {
      answerError(unreadable, req, res);
      log();
      return;
    }
    if (found?.kind === 'route') {
      // The pipeline has written its answer by the time it settles: logged then, with no
      // listener to add per request.
      void serve(found.target, found.params, req, res).then(log, (error: unknown) => {
        answerError(error, req, res);
        log();
      });
      return;
    }
    res.on('finish', log);
    // Kept for the 405 answer below, after the extensions and docs had their turn.
    if (found?.kind === 'method-not-allowed') res.locals.allow = found.allow;
    next();
  });

  for (const extend of options.extensions ?? []) extend(app);
  mountDocs(app, specText);
  mountHome(app, options.version);

  // A known path with a method the spec does not list: 405 with the methods it does.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const allow = res.locals.allow as string | undefined;
    if (allow === undefined) return next();
    sendError(
      res,
      { code: 'METHOD_NOT_ALLOWED', message: `${req.method} is not allowed here; use ${allow}` },
      { Allow: allow },
    );
  });

  app.use((req: Request, res: Response) => {
    sendError(res, { code: 'ROUTE_NOT_FOUND', message: `No route ${req.method} ${req.path.slice(0, 200)}` });
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => answerError(error, req, res));

  return app;
}
