/**
 * The composition root: assembles the reference server (store, outbox, application layer,
 * HTTP adapter, console, listening socket) and wires each part to the next. The only place
 * that knows them all.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import pino, { type DestinationStream, type Logger } from 'pino';
import type express from 'express';
import { DEFAULT_CONFIG, type ServerConfig } from './config';
import { settingsFor, type LogFormat } from './settings';
import { DEFAULT_STORE_LIMITS } from './domain/store';
import type { SandboxPolicies } from './domain/operation';
import type { Store, StoreObserver } from './store/records';
import { InMemoryStore } from './store/memory';
import { RedisEventRelay } from './store/redis-events';
import { RedisStore } from './store/redis';
import { RedisStreamTickets } from './store/redis-tickets';
import { redactedStoreUrl } from './store/redis-address';
import { StoreUnavailableError } from './domain/store';
import { OutageLog } from './ops/outage';
import { ServerMetrics } from './ops/metrics';
import { DEFAULT_STREAM_LIMITS } from './console/streams';
import { RedisRelayBus } from './store/redis-relay';
import { LocalRelayBus, type RelayBus } from './webhooks/relay';
import { TenantIds } from './domain/tenants';
import { Sandbox } from './application/sandbox';
import { FaultRules } from './faults/faults';
import { Outbox } from './webhooks/outbox';
import { attemptLeaseMs, DEFAULT_OUTBOX_CONFIG, type OutboxConfig } from './webhooks/config';
import type { Send } from './webhooks/sender';
import { createApp } from './http/app';
import { rawErrorResponse } from './http/errors';
import { createConsole } from './console';

export interface RunningServer {
  url: string;
  port: number;
  config: ServerConfig;
  /** Where tenant state is kept, fit for a banner or a log line: `memory`, or the Redis address without credentials. */
  storeAddress: string;
  sandbox: Sandbox;
  outbox: Outbox;
  logger: Logger;
  /** Stops accepting, finishes in-flight requests, gives due deliveries one last try. */
  close(): Promise<{ undelivered: number }>;
  /** Writes out buffered log lines (call before exiting the process). */
  flushLogs(): void;
}

export interface StartOptions {
  /** Real time source, for tests that pin it. */
  now?: () => number;
  /** Random source for retry jitter. */
  random?: () => number;
  /** Extra routes, mounted after the API's operations (see createApp). */
  extensions?: Array<(app: express.Express) => void>;
  logger?: Logger;
  /** Rules other than the contract's: slot expiry, the delivery-code check (see SandboxPolicies). */
  policies?: Partial<SandboxPolicies>;
  /** How webhook attempts go over the wire (see OutboxOptions); default HTTP(S). */
  webhookTransport?: Send;
  /** A store of the caller's own, in place of the one `config.store` names; closed with the server. */
  store?: Store;
  /**
   * The memory store freezes every record it keeps, so a change made in place throws.
   * Default: on when LASTMILE_FREEZE_RECORDS=1 (the test runner sets it).
   */
  freezeRecords?: boolean;
}

/** Longest a request's log line may wait in the write buffer. */
export const LOG_FLUSH_INTERVAL_MS = 250;

export const VERSION: string = (require('../package.json') as { version: string }).version;

/**
 * Starts a server. Programmatic callers get `logLevel: 'silent'` unless they ask for
 * logs, and port 0 (ephemeral) is the usual choice in tests.
 */
export async function startServer(
  overrides: Partial<ServerConfig> = {},
  options: StartOptions = {},
): Promise<RunningServer> {
  const config: ServerConfig = { ...DEFAULT_CONFIG, logLevel: 'silent', ...overrides };
  // Logs are written in buffered, asynchronous chunks: a synchronous write per request
  // line cost the create-job path about 40 % of its throughput (docs/benchmarks.md).
  const logDestination =
    options.logger || config.logLevel === 'silent' ? null : pino.destination({ dest: 1, sync: false, minLength: 4096 });
  // A quiet server must not hold one request's line back until 4 KB more arrive.
  const logFlusher = logDestination
    ? setInterval(() => {
        try {
          logDestination.flush();
        } catch {
          /* destroyed: nothing left to write */
        }
      }, LOG_FLUSH_INTERVAL_MS).unref()
    : undefined;
  const logger =
    options.logger ??
    (logDestination
      ? pino(
          { level: config.logLevel, base: { service: 'lastmile-sandbox' } },
          resolveLogFormat(config.logFormat, process.stdout.isTTY === true) === 'pretty'
            ? prettyLines(logDestination)
            : logDestination,
        )
      : pino({ level: 'silent' }));
  const freezeRecords = options.freezeRecords ?? process.env.LASTMILE_FREEZE_RECORDS === '1';
  const address = storeAddress(config.store);
  // The store tells its round trips to the metrics and the outage log; nothing else reads them.
  const metrics = config.metrics ? new ServerMetrics() : null;
  const outage = new OutageLog(logger, address);
  const observer: StoreObserver = {
    answered: () => {
      metrics?.storeObserver.answered();
      outage.answered();
    },
    failed: (cause) => {
      metrics?.storeObserver.failed(cause);
      outage.failed(cause);
    },
    conflict: () => metrics?.storeObserver.conflict(),
    rerun: () => metrics?.storeObserver.rerun(),
  };
  const tenants = new TenantIds(config.tenantHashKey);
  // Each part gets the settings the table passes to it (server/settings.ts).
  const outboxConfig: OutboxConfig = {
    ...DEFAULT_OUTBOX_CONFIG,
    ...settingsFor(config, 'outbox'),
    ...(options.random ? { random: options.random } : {}),
  };
  const store: Store =
    options.store ??
    (config.store === 'memory'
      ? new InMemoryStore(
          options.now ?? Date.now,
          { ...DEFAULT_STORE_LIMITS, ...settingsFor(config, 'storeLimits') },
          { freezeRecords, tenants },
        )
      : await RedisStore.connect({
          url: config.store,
          prefix: config.storePrefix,
          tenantTtlSeconds: config.tenantTtlSeconds,
          realNow: options.now,
          observer,
          tenants,
          // Other instances take over a tenant's deliveries once an attempt's lease could have run out.
          handOverMs: attemptLeaseMs(outboxConfig),
        }));
  // Relay endpoints (lastmile listen): any instance may hold a stream, attempt or take an answer.
  const relayBus: RelayBus =
    config.store === 'memory'
      ? new LocalRelayBus()
      : await RedisRelayBus.start(config.store, config.storePrefix).catch(async (error) => {
          await store.close();
          throw error;
        });
  const outbox = new Outbox(store, outboxConfig, { send: options.webhookTransport, relayBus });
  store.onDrop((key) => outbox.forgetTenant(key));
  // A store outage is the outage log's to tell, once; anything else is a fault worth its stack.
  outbox.onError((error) => {
    if (!(error instanceof StoreUnavailableError)) logger.error({ err: error }, 'webhook delivery work failed');
  });
  metrics?.watch(store, outbox);
  // One line per attempt and its outcome: what was sent where, what came back, what happens next.
  outbox.onAttempt((_key, delivery, attempt) => {
    const line = {
      delivery_id: delivery.id,
      job_id: delivery.job_id,
      event_type: delivery.event_type,
      endpoint_id: delivery.endpoint_id,
      attempt: delivery.attempts.length,
      ...(attempt.status_code === undefined ? {} : { status: attempt.status_code }),
      ...(attempt.error === undefined ? {} : { error: attempt.error }),
      latency_ms: attempt.latency_ms,
      outcome: delivery.status,
      ...(delivery.nextAttemptAtMs === null
        ? {}
        : { next_attempt_at: new Date(delivery.nextAttemptAtMs).toISOString() }),
    };
    if (delivery.status === 'DEAD_LETTERED') logger.warn(line, 'webhook attempt');
    else logger.info(line, 'webhook attempt');
  });
  const sandbox = new Sandbox(store, settingsFor(config, 'sandbox'), { outbox, policies: options.policies });
  const faults = new FaultRules(store);
  const releaseFaults = new AbortController();
  const apiKeys = config.apiKeys ? new Set(config.apiKeys) : null;
  // With a shared store, a console page sees what every instance did, not only this one.
  const relay =
    config.store === 'memory'
      ? null
      : await RedisEventRelay.start(config.store, config.storePrefix, { sandbox, outbox }, store.tenants).catch(
          async (error) => {
            await outbox.shutdown(0);
            await relayBus.close();
            await store.close();
            throw error;
          },
        );
  // Tickets in the shared store, so that a ticket from one instance opens a stream on any.
  const tickets =
    store instanceof RedisStore
      ? new RedisStreamTickets(store.call, { prefix: config.storePrefix, ttlMs: DEFAULT_STREAM_LIMITS.ticketTtlMs })
      : undefined;
  const sandboxConsole = createConsole({
    sandbox: relay ?? sandbox,
    apiKeys,
    deliveries: relay ?? outbox,
    tickets,
    tenantOf: (key) => store.tenants.refOf(key),
  });
  const app = createApp({
    sandbox,
    outbox,
    faults,
    logger,
    apiKeys,
    maxBodyBytes: config.maxBodyBytes,
    cors: config.cors,
    version: VERSION,
    readiness: store,
    observe: metrics ? (operation, status, seconds) => metrics.observeRequest(operation, status, seconds) : undefined,
    extensions: [
      (app) => sandboxConsole.mount(app),
      ...(metrics ? [(app: express.Express) => metrics.mount(app)] : []),
      ...(options.extensions ?? []),
    ],
    closing: releaseFaults.signal,
  });
  const server = http.createServer(
    { maxHeaderSize: 16 * 1024, requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 },
    app,
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    socket.end(
      rawErrorResponse(
        tooLarge ? 'HEADERS_TOO_LARGE' : 'MALFORMED_REQUEST',
        tooLarge ? 'Request headers are too large' : 'Malformed HTTP request',
      ),
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await outbox.shutdown(0);
    await relay?.close();
    await relayBus.close();
    await store.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<{ undelivered: number }> | null = null;
  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    config,
    storeAddress: address,
    sandbox,
    outbox,
    logger,
    flushLogs() {
      logDestination?.flushSync();
    },
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        sandboxConsole.close();
        releaseFaults.abort();
        server.closeIdleConnections();
        await stopped;
        const result = await outbox.shutdown(config.shutdownGraceMs);
        await relay?.close();
        await relayBus.close();
        await store.close();
        clearInterval(logFlusher);
        logDestination?.flushSync();
        return result;
      })();
      return closing;
    },
  };
}

/** What `auto` means where the logs go: readable lines for a person at a terminal, JSON lines for a program. */
export function resolveLogFormat(format: LogFormat, toTerminal: boolean): 'json' | 'pretty' {
  if (format === 'auto') return toTerminal ? 'pretty' : 'json';
  return format;
}

/**
 * Turns each JSON line into pino-pretty's readable form on the way to the same buffered
 * destination, in the process and synchronously, so that flushing the destination (on close,
 * before exit) still writes out every line. Loaded only when asked for.
 */
function prettyLines(destination: DestinationStream): DestinationStream {
  const { prettyFactory } = require('pino-pretty') as typeof import('pino-pretty');
  const prettify = prettyFactory({
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
    singleLine: true,
  });
  return { write: (line: string) => destination.write(prettify(line)) };
}

/** A store setting as a banner or a log line may show it: `memory`, or the Redis address without user or password. */
export function storeAddress(store: string): string {
  return redactedStoreUrl(store);
}
