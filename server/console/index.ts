/**
 * The sandbox console at /console: a page (its script bundled from the top-level console/ folder) that drives the
 * public API with the key the user typed (it stays in their browser), plus a live event
 * stream per tenant.
 */
import { join } from 'node:path';
import express, { type Request, type Response } from 'express';
import { clientIdFor } from '../domain/ids';
import { apiKeyOf } from '../http/auth';
import { sendError, sendJson } from '../http/errors';
import { consoleScriptCache } from './script';
import { StoreUnavailableError, STORE_UNREACHABLE_MESSAGE } from '../domain/store';
import type { StreamTickets } from '../live-events';
import {
  DEFAULT_STREAM_LIMITS,
  MemoryStreamTickets,
  TenantStreams,
  type StreamLimits,
  type DeliveryUpdates,
  type JobEvents,
} from './streams';
import type { StreamTicketAnswer } from './ticket-answer';

export interface ConsoleOptions {
  /** Where job events come from: the sandbox, or with a shared store every instance's. */
  sandbox: JobEvents;
  /** When set, only these keys open tenants (the same rule as the API's). */
  apiKeys: ReadonlySet<string> | null;
  limits?: Partial<StreamLimits>;
  /** The outbox, so that pages see each delivery attempt as it settles. */
  deliveries?: DeliveryUpdates;
  /** Where stream tickets are kept; default this process (with a shared store, the store, so any instance redeems them). */
  tickets?: StreamTickets;
  /** How the events name tenants: the store's TenantIds.refOf. */
  tenantOf?: (keyOrRef: string) => string;
}

export interface SandboxConsole {
  mount(app: express.Express): void;
  /** Ends the live streams; the server cannot finish closing while they are open. */
  close(): void;
  readonly streams: TenantStreams;
}

const PUBLIC_DIR = join(__dirname, 'public');
/** Shared by every console of the process: the bundle depends only on the sources and the spec. */
const consoleScript = consoleScriptCache();

/** Job data is hostile input: the page never runs anything it did not ship itself. */
const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

export function createConsole({
  sandbox,
  apiKeys,
  limits,
  deliveries,
  tickets,
  tenantOf,
}: ConsoleOptions): SandboxConsole {
  const allLimits = { ...DEFAULT_STREAM_LIMITS, ...limits };
  const streams = new TenantStreams(sandbox, allLimits, deliveries, tenantOf);
  const memoryTickets = tickets ? null : new MemoryStreamTickets(allLimits);
  const ticketBook: StreamTickets = tickets ?? memoryTickets!;
  /** The store away: 503 with our words, as the API answers. */
  const unavailable = (res: Response, error: unknown, next: (error: unknown) => void) => {
    if (!(error instanceof StoreUnavailableError)) return next(error);
    sendError(res, { code: 'STORE_UNAVAILABLE', message: STORE_UNREACHABLE_MESSAGE }, { 'Retry-After': '1' });
  };

  const router = express.Router({ strict: true });
  router.use((_req: Request, res: Response, next) => {
    for (const [name, value] of Object.entries(PAGE_HEADERS)) res.setHeader(name, value);
    next();
  });
  router.get('/', (req: Request, res: Response, next) => {
    if (req.originalUrl.split('?')[0] === '/console') return res.redirect(308, '/console/');
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(join(PUBLIC_DIR, 'index.html'), (error) => error && next(error));
  });
  router.get('/assets/console.js', (_req: Request, res: Response, next) => {
    consoleScript().then((script) => {
      res.setHeader('cache-control', 'no-cache');
      res.type('text/javascript; charset=utf-8').send(script);
    }, next);
  });
  router.use('/assets', express.static(PUBLIC_DIR, { index: false, maxAge: 0 }));

  router.post('/stream-tickets', (req: Request, res: Response, next) => {
    const key = apiKeyOf(req, apiKeys);
    if (key === null) return sendError(res, { code: 'UNAUTHORIZED', message: 'Missing or invalid x-api-key header' });
    ticketBook.issue(key).then(
      (issued) => {
        const answer: StreamTicketAnswer = { ...issued, client_id: clientIdFor(key) };
        sendJson(res, 201, answer, { 'cache-control': 'no-store' });
      },
      (error: unknown) => unavailable(res, error, next),
    );
  });

  router.get('/events', (req: Request, res: Response, next) => {
    const ticket = typeof req.query.ticket === 'string' ? req.query.ticket : '';
    const redeemed = ticket === '' ? Promise.resolve(null) : ticketBook.redeem(ticket);
    redeemed.then(
      (key) => {
        if (key === null)
          return sendError(res, {
            code: 'UNAUTHORIZED',
            message: 'Missing, used or expired stream ticket; ask POST /console/stream-tickets for one',
          });
        if (res.destroyed) return; // the page left while the ticket was redeemed
        streams.open(key, res);
      },
      (error: unknown) => unavailable(res, error, next),
    );
  });

  return {
    streams,
    mount(app) {
      app.use('/console', router);
    },
    close() {
      streams.close();
      memoryTickets?.clear();
    },
  };
}
