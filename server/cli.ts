import { Command, Option } from 'commander';
import { ConfigError, DEFAULT_API_KEY, DEFAULT_CONFIG, ENV, parse, type ServerConfig } from './config';
import { startServer } from './main';

function option(flags: string, description: string, env: string, parser?: (raw: string) => unknown, fallback?: unknown): Option {
  const o = new Option(flags, description).env(env);
  if (parser) o.argParser((raw: string) => parser(raw));
  if (fallback !== undefined) o.default(fallback, typeof fallback === 'object' ? JSON.stringify(fallback) : String(fallback));
  return o;
}

/** A switch: `--name` alone turns it on; `--name false`, `--name=false` or the variable set to false turns it off. */
function flag(name: string, description: string, env: string, fallback: boolean): Option {
  return new Option(`${name} [bool]`, `${description} (true or false; alone: true)`).env(env)
    .preset('true').argParser(parse.bool(name)).default(fallback);
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the reference sandbox: in-memory, one isolated tenant per API key')
    .addOption(option('--port <port>', 'port to listen on (0: any free port)', ENV.port, parse.port, DEFAULT_CONFIG.port))
    .addOption(option('--host <host>', 'interface to listen on', ENV.host, undefined, DEFAULT_CONFIG.host))
    .addOption(option('--slot-ttl <seconds>', 'how long a slot is held', ENV.slotTtlSeconds, parse.positiveInt('--slot-ttl'), DEFAULT_CONFIG.slotTtlSeconds))
    .addOption(option('--api-keys <keys>', 'comma-separated keys to accept (default: any non-empty key opens its own tenant)', ENV.apiKeys, parse.keys))
    .addOption(option('--max-body <size>', 'largest request body, e.g. 1mb, 512kb', ENV.maxBodyBytes, parse.bytes, '1mb'))
    .addOption(option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', ENV.logLevel, parse.logLevel, DEFAULT_CONFIG.logLevel))
    .addOption(option('--delivery-code-attempts <n>', 'wrong delivery codes before the final step locks', ENV.deliveryCodeAttempts, parse.positiveInt('--delivery-code-attempts'), DEFAULT_CONFIG.deliveryCodeAttempts))
    .addOption(option('--max-jobs <n>', 'jobs kept per tenant; finished ones are evicted first', ENV.maxJobsPerTenant, parse.positiveInt('--max-jobs'), DEFAULT_CONFIG.maxJobsPerTenant))
    .addOption(flag('--cors', 'answer browsers from any origin (production is called from backends, so off by default)', ENV.cors, DEFAULT_CONFIG.cors))
    .addOption(option('--max-tenants <n>', 'tenants kept at once; the least recently used idle one is evicted first', ENV.maxTenants, parse.positiveInt('--max-tenants'), DEFAULT_CONFIG.maxTenants))
    .addOption(option('--webhook-timeout <ms>', 'timeout of one webhook attempt', ENV.webhookTimeoutMs, parse.positiveInt('--webhook-timeout'), DEFAULT_CONFIG.webhookTimeoutMs))
    .addOption(option('--webhook-retry-schedule <seconds>', 'waits after each failed attempt, then dead-letter', ENV.webhookRetrySchedule, parse.schedule, DEFAULT_CONFIG.webhookRetrySchedule.join(',')))
    .addOption(option('--webhook-retry-jitter <fraction>', 'random spread of each wait, in [0, 1)', ENV.webhookRetryJitter, parse.jitter, DEFAULT_CONFIG.webhookRetryJitter))
    .addOption(flag('--webhook-allow-private', 'allow loopback and private-range webhook targets', ENV.webhookAllowPrivate, DEFAULT_CONFIG.webhookAllowPrivate))
    .addOption(new Option('--no-webhook-allow-private', 'refuse loopback, private and link-local webhook targets (hosted sandboxes)'))
    .action(async (opts) => {
      const config: Partial<ServerConfig> = {
        port: opts.port,
        host: opts.host,
        slotTtlSeconds: opts.slotTtl,
        apiKeys: opts.apiKeys ?? null,
        maxBodyBytes: typeof opts.maxBody === 'number' ? opts.maxBody : parse.bytes(String(opts.maxBody)),
        logLevel: opts.logLevel,
        deliveryCodeAttempts: opts.deliveryCodeAttempts,
        maxJobsPerTenant: opts.maxJobs,
        maxTenants: opts.maxTenants,
        cors: opts.cors,
        webhookTimeoutMs: opts.webhookTimeout,
        webhookRetrySchedule: Array.isArray(opts.webhookRetrySchedule) ? opts.webhookRetrySchedule : parse.schedule(String(opts.webhookRetrySchedule)),
        webhookRetryJitter: opts.webhookRetryJitter,
        webhookAllowPrivate: opts.webhookAllowPrivate,
      };
      let server;
      try {
        server = await startServer(config);
      } catch (error) {
        if (error instanceof ConfigError) throw error;
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new Error(`port ${config.port} on ${config.host} is in use; try --port 0 or another port`);
        throw error;
      }
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        server.logger.info({ signal }, 'shutting down');
        const { undelivered } = await server.close();
        server.logger.info({ undelivered }, 'stopped');
        server.flushLogs();
        if (undelivered > 0) process.stderr.write(`lastmile: ${undelivered} webhook deliveries left undelivered\n`);
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
      // The banner last: whoever waits for it may signal at once, and the handlers are in place.
      const key = config.apiKeys?.[0] ?? DEFAULT_API_KEY;
      process.stdout.write([
        `Sandbox listening on ${server.url}`,
        `  API key to try: ${key}${config.apiKeys ? '' : '   (any non-empty x-api-key opens its own isolated tenant)'}`,
        `  API reference:  ${server.url}/docs`,
        `  Spec:           ${server.url}/openapi.yaml`,
        `  Console:        ${server.url}/console`,
        `  Try:            curl -s -H 'x-api-key: ${key}' ${server.url}/sandbox/clock`,
        '',
      ].join('\n'));
    });
}
