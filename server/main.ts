/**
 * The composition root: assembles the reference server (store, outbox, application layer,
 * HTTP adapter, console, listening socket) and wires each part to the next. The only place
 * that knows them all.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import pino, { type Logger } from 'pino';
import type express from 'express';
import { DEFAULT_CONFIG, type ServerConfig } from './config';
import { settingsFor } from './settings';
import { DEFAULT_STORE_LIMITS } from './domain/store';
import type { SandboxPolicies } from './domain/operation';
import type { Store } from './store/records';
import { InMemoryStore } from './store/memory';
import { RedisEventRelay } from './store/redis-events';
import { RedisStore } from './store/redis';
import { TenantIds } from './domain/tenants';
import { Sandbox } from './application/sandbox';
import { Outbox } from './webhooks/outbox';
import type { Send } from './webhooks/sender';
import { createApp } from './http/app';
import { rawErrorResponse } from './http/errors';
import { createConsole } from './console';

export interface RunningServer {
  url: string;
  port: number;
  config: ServerConfig;
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
      ? pino({ level: config.logLevel, base: { service: 'lastmile-sandbox' } }, logDestination)
      : pino({ level: 'silent' }));
  const freezeRecords = options.freezeRecords ?? process.env.LASTMILE_FREEZE_RECORDS === '1';
  const tenants = new TenantIds(config.tenantHashKey);
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
          tenants,
        }));
  // Each part gets the settings the table passes to it (server/settings.ts).
  const outbox = new Outbox(
    store,
    {
      ...settingsFor(config, 'outbox'),
      ...(options.random ? { random: options.random } : {}),
    },
    { send: options.webhookTransport },
  );
  store.onDrop((key) => outbox.forgetTenant(key));
  outbox.onError((error) => logger.error({ err: error }, 'webhook delivery work failed'));
  const sandbox = new Sandbox(store, settingsFor(config, 'sandbox'), { outbox, policies: options.policies });
  const apiKeys = config.apiKeys ? new Set(config.apiKeys) : null;
  // With a shared store, a console page sees what every instance did, not only this one.
  const relay =
    config.store === 'memory'
      ? null
      : await RedisEventRelay.start(config.store, config.storePrefix, { sandbox, outbox }, store.tenants).catch(
          async (error) => {
            await outbox.shutdown(0);
            await store.close();
            throw error;
          },
        );
  const sandboxConsole = createConsole({
    sandbox: relay ?? sandbox,
    apiKeys,
    deliveries: relay ?? outbox,
    tenantOf: (key) => store.tenants.refOf(key),
  });
  const app = createApp({
    sandbox,
    outbox,
    logger,
    apiKeys,
    maxBodyBytes: config.maxBodyBytes,
    cors: config.cors,
    version: VERSION,
    extensions: [(app) => sandboxConsole.mount(app), ...(options.extensions ?? [])],
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
        server.closeIdleConnections();
        await stopped;
        const result = await outbox.shutdown(config.shutdownGraceMs);
        await relay?.close();
        await store.close();
        clearInterval(logFlusher);
        logDestination?.flushSync();
        return result;
      })();
      return closing;
    },
  };
}
