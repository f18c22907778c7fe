/**
 * The server's settings, one entry each: its type (what `parse` returns), default, validation,
 * `lastmile serve` flag, environment variable, help, and which part of the server it is passed
 * to. From this table come the ServerConfig type and DEFAULT_CONFIG (config.ts), the commander
 * options and the environment variables (cli.ts), the parts handed to the sandbox, the outbox
 * and the store (main.ts), and the table in docs/server.md (a test fails when that table is stale).
 * Adding a setting is one entry here, plus using it where it matters.
 */
import { DEFAULT_SANDBOX_CONFIG, type SandboxConfig } from './domain/sandbox';
import { DEFAULT_STORE_LIMITS, type StoreLimits } from './domain/store';
import { DEFAULT_TENANT_HASH_KEY } from './domain/tenants';
import { isClusterUrl, parseClusterUrl } from './store/redis-address';
import { DEFAULT_OUTBOX_CONFIG } from './webhooks/outbox';
import type { OutboxConfig } from './webhooks/config';

/** How log lines are written: JSON lines, readable lines, or readable on a terminal and JSON lines otherwise. */
export type LogFormat = 'auto' | 'json' | 'pretty';

/** A value `lastmile serve` refuses: printed as is, exit status 2. */
export class ConfigError extends Error {}

/** The settings objects of the server's parts, as their constructors take them. */
export interface Parts {
  sandbox: SandboxConfig;
  outbox: OutboxConfig;
  storeLimits: StoreLimits;
}

/** A part's setting a value of type T may be passed to. */
export type PassedTo<T> = {
  [P in keyof Parts]: {
    [K in keyof Parts[P]]-?: [T] extends [Parts[P][K]] ? { part: P; key: K } : never;
  }[keyof Parts[P]];
}[keyof Parts];

export interface Setting<T> {
  /** The `lastmile serve` option with its argument (`--port <port>`), or a switch's bare name (`--cors`). */
  flag: string;
  env: `LASTMILE_${string}`;
  default: T;
  /** The default as --help and the docs show it, when not the value itself. */
  shown?: string;
  /** A switch: `--name` alone turns it on; `--name false`, `--name=false` or the variable set to false turns it off. */
  switch?: boolean;
  /** For a switch: the help of a `--no-name` option that turns it off. */
  negation?: string;
  /** Reads a flag's or variable's text; throws ConfigError naming the flag when the value is bad. */
  parse(raw: string, flag: string): T;
  help: string;
  /** The part's setting this one is handed to (main.ts passes it on); none when the composition root reads it itself. */
  passedTo?: PassedTo<T>;
}

/** Infers an entry's type from its default and its parser. */
const setting = <T>(entry: Setting<T>): Setting<T> => entry;

// ---- Validation: the messages `lastmile serve` prints for bad values. ----

function integer(raw: string, flag: string, min: number): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min)
    throw new ConfigError(`${flag} must be an integer >= ${min}, got "${raw}"`);
  return Number(raw);
}

export const parse = {
  positiveInt: (raw: string, flag: string): number => integer(raw, flag, 1),
  nonNegativeInt: (raw: string, flag: string): number => integer(raw, flag, 0),
  text: (raw: string): string => raw,
  port: (raw: string, flag: string): number => {
    const n = integer(raw, flag, 0);
    if (n > 65535) throw new ConfigError(`${flag} must be at most 65535, got ${n}`);
    return n;
  },
  bytes: (raw: string, flag: string): number => {
    const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(raw.trim());
    if (!m) throw new ConfigError(`${flag} must be a size such as 1mb, 512kb or 1048576, got "${raw}"`);
    const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? 'b').toLowerCase() as 'b'];
    const n = Math.floor(Number(m[1]) * unit);
    if (n < 1) throw new ConfigError(`${flag} must be at least 1 byte`);
    return n;
  },
  keys: (raw: string): string[] | null => {
    const keys = raw
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
    return keys.length ? keys : null;
  },
  schedule: (raw: string, flag: string): number[] => {
    const parts = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (!parts.length || parts.some((p) => !/^\d+(\.\d+)?$/.test(p))) {
      throw new ConfigError(`${flag} must be seconds separated by commas, e.g. 1,5,30, got "${raw}"`);
    }
    return parts.map(Number);
  },
  bool: (raw: string, flag: string): boolean => {
    if (/^(true|1|yes|on)$/i.test(raw)) return true;
    if (/^(false|0|no|off)$/i.test(raw)) return false;
    throw new ConfigError(`${flag} must be true or false, got "${raw}"`);
  },
  logLevel: (raw: string, flag: string): string => {
    const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
    if (!levels.includes(raw)) throw new ConfigError(`${flag} must be one of ${levels.join(', ')}, got "${raw}"`);
    return raw;
  },
  logFormat: (raw: string, flag: string): LogFormat => {
    const formats: LogFormat[] = ['auto', 'json', 'pretty'];
    if (!formats.includes(raw as LogFormat))
      throw new ConfigError(`${flag} must be one of ${formats.join(', ')}, got "${raw}"`);
    return raw as LogFormat;
  },
  store: (raw: string, flag: string): string => {
    if (raw === 'memory') return raw;
    if (isClusterUrl(raw)) {
      try {
        parseClusterUrl(raw);
      } catch (error) {
        throw new ConfigError(`${flag}: ${(error as Error).message} (redis-cluster://host:port,host:port)`);
      }
      return raw;
    }
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(`${flag} must be memory, a redis:// URL or a redis-cluster:// URL, got "${raw}"`);
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
      throw new ConfigError(`${flag} must be memory, a redis:// URL or a redis-cluster:// URL, got "${raw}"`);
    if (url.pathname.length > 1 && !/^\/\d+$/.test(url.pathname))
      throw new ConfigError(
        `${flag}: the database of a redis:// URL is a number (redis://host:6379/0), got "${url.pathname.slice(1)}"`,
      );
    return raw;
  },
  storePrefix: (raw: string, flag: string): string => {
    if (!/^[\w.:-]{0,64}$/.test(raw))
      throw new ConfigError(`${flag} must be at most 64 letters, digits or . _ : -, got "${raw}"`);
    return raw;
  },
  secret: (raw: string, flag: string): string => {
    if (raw.length < 16) throw new ConfigError(`${flag} must be at least 16 characters`);
    return raw;
  },
  fraction: (raw: string, flag: string): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0 || n >= 1) throw new ConfigError(`${flag} must be in [0, 1), got "${raw}"`);
    return n;
  },
};

// ---- The table. Its order is the order of --help and of the docs. ----

export const SETTINGS = {
  port: setting({
    flag: '--port <port>',
    env: 'LASTMILE_PORT',
    default: 4000,
    parse: parse.port,
    help: 'port to listen on (0: any free port)',
  }),
  host: setting({
    flag: '--host <host>',
    env: 'LASTMILE_HOST',
    default: '127.0.0.1',
    parse: parse.text,
    help: 'interface to listen on',
  }),
  slotTtlSeconds: setting({
    flag: '--slot-ttl <seconds>',
    env: 'LASTMILE_SLOT_TTL',
    default: DEFAULT_SANDBOX_CONFIG.slotTtlSeconds,
    parse: parse.positiveInt,
    help: 'how long a slot is held',
    passedTo: { part: 'sandbox', key: 'slotTtlSeconds' },
  }),
  apiKeys: setting({
    flag: '--api-keys <keys>',
    env: 'LASTMILE_API_KEYS',
    default: null,
    shown: 'any non-empty key opens its own tenant',
    parse: parse.keys,
    help: 'comma-separated keys to accept',
  }),
  maxBodyBytes: setting({
    flag: '--max-body <size>',
    env: 'LASTMILE_MAX_BODY',
    default: 1024 * 1024,
    shown: '1mb',
    parse: parse.bytes,
    help: 'largest request body, e.g. 1mb, 512kb',
  }),
  logLevel: setting({
    flag: '--log-level <level>',
    env: 'LASTMILE_LOG_LEVEL',
    default: 'info',
    parse: parse.logLevel,
    help: 'fatal, error, warn, info, debug, trace or silent',
  }),
  logFormat: setting<LogFormat>({
    flag: '--log-format <format>',
    env: 'LASTMILE_LOG_FORMAT',
    default: 'auto',
    parse: parse.logFormat,
    help: 'json (one JSON object a line), pretty (readable lines), or auto: pretty on a terminal, json otherwise',
  }),
  deliveryCodeAttempts: setting({
    flag: '--delivery-code-attempts <n>',
    env: 'LASTMILE_DELIVERY_CODE_ATTEMPTS',
    default: DEFAULT_SANDBOX_CONFIG.deliveryCodeAttempts,
    parse: parse.positiveInt,
    help: 'wrong delivery codes before the final step locks',
    passedTo: { part: 'sandbox', key: 'deliveryCodeAttempts' },
  }),
  maxJobsPerTenant: setting({
    flag: '--max-jobs <n>',
    env: 'LASTMILE_MAX_JOBS',
    default: DEFAULT_SANDBOX_CONFIG.maxJobsPerTenant,
    parse: parse.positiveInt,
    help: 'jobs kept per tenant; finished ones are evicted first',
    passedTo: { part: 'sandbox', key: 'maxJobsPerTenant' },
  }),
  cors: setting({
    flag: '--cors',
    switch: true,
    env: 'LASTMILE_CORS',
    default: false,
    parse: parse.bool,
    help: 'answer browsers from any origin (production is called from backends, so off by default)',
  }),
  metrics: setting({
    flag: '--metrics',
    switch: true,
    env: 'LASTMILE_METRICS',
    default: false,
    parse: parse.bool,
    help: 'serve GET /metrics (Prometheus text format) on the API port; off, it is a 404',
  }),
  maxTenants: setting({
    flag: '--max-tenants <n>',
    env: 'LASTMILE_MAX_TENANTS',
    default: DEFAULT_STORE_LIMITS.maxTenants,
    parse: parse.positiveInt,
    help: 'tenants kept at once (in memory); the least recently used idle one is evicted first',
    passedTo: { part: 'storeLimits', key: 'maxTenants' },
  }),
  webhookTimeoutMs: setting({
    flag: '--webhook-timeout <ms>',
    env: 'LASTMILE_WEBHOOK_TIMEOUT',
    default: DEFAULT_OUTBOX_CONFIG.timeoutMs,
    parse: parse.positiveInt,
    help: 'timeout of one webhook attempt',
    passedTo: { part: 'outbox', key: 'timeoutMs' },
  }),
  webhookRetrySchedule: setting({
    flag: '--webhook-retry-schedule <seconds>',
    env: 'LASTMILE_WEBHOOK_RETRY_SCHEDULE',
    default: [...DEFAULT_OUTBOX_CONFIG.retrySchedule],
    parse: parse.schedule,
    help: 'waits after each failed attempt, then dead-letter',
    passedTo: { part: 'outbox', key: 'retrySchedule' },
  }),
  webhookRetryJitter: setting({
    flag: '--webhook-retry-jitter <fraction>',
    env: 'LASTMILE_WEBHOOK_RETRY_JITTER',
    default: DEFAULT_OUTBOX_CONFIG.retryJitter,
    parse: parse.fraction,
    help: 'random spread of each wait, in [0, 1)',
    passedTo: { part: 'outbox', key: 'retryJitter' },
  }),
  webhookAllowPrivate: setting({
    flag: '--webhook-allow-private',
    switch: true,
    env: 'LASTMILE_WEBHOOK_ALLOW_PRIVATE',
    default: DEFAULT_OUTBOX_CONFIG.allowPrivate,
    parse: parse.bool,
    help: 'allow loopback and private-range webhook targets',
    passedTo: { part: 'outbox', key: 'allowPrivate' },
    negation: 'refuse loopback, private and link-local webhook targets (hosted sandboxes)',
  }),
  webhookRelayGraceSeconds: setting({
    flag: '--webhook-relay-grace <seconds>',
    env: 'LASTMILE_WEBHOOK_RELAY_GRACE',
    default: DEFAULT_OUTBOX_CONFIG.relayGraceSeconds,
    parse: parse.positiveInt,
    help: 'tenant-clock seconds a relay endpoint (lastmile listen) may stay without its stream before it is removed and its pending deliveries dead-lettered',
    passedTo: { part: 'outbox', key: 'relayGraceSeconds' },
  }),
  shutdownGraceMs: setting({
    flag: '--shutdown-grace <ms>',
    env: 'LASTMILE_SHUTDOWN_GRACE',
    default: 3000,
    parse: parse.nonNegativeInt,
    help: 'real milliseconds a shutdown gives due webhook deliveries',
  }),
  store: setting({
    flag: '--store <store>',
    env: 'LASTMILE_STORE',
    default: 'memory',
    parse: parse.store,
    help: 'memory, redis://[user:pass@]host:port[/db], or redis-cluster://[user:pass@]host:port[,host:port…] (a Redis Cluster), shared by any number of instances',
  }),
  storePrefix: setting({
    flag: '--store-prefix <prefix>',
    env: 'LASTMILE_STORE_PREFIX',
    default: 'lastmile:',
    parse: parse.storePrefix,
    help: 'put before every Redis key (to share one Redis)',
  }),
  tenantHashKey: setting({
    flag: '--tenant-hash-key <secret>',
    env: 'LASTMILE_TENANT_HASH_KEY',
    default: DEFAULT_TENANT_HASH_KEY,
    shown: '(built in)',
    parse: parse.secret,
    help: 'the stores keep tenants by HMAC-SHA-256 of their API keys under this key (the same on every instance)',
  }),
  tenantTtlSeconds: setting({
    flag: '--tenant-ttl <seconds>',
    env: 'LASTMILE_TENANT_TTL',
    default: 7 * 24 * 3600,
    parse: parse.positiveInt,
    help: 'with Redis: a tenant with no write for this long expires, all its keys at once (up to a tenth of this, at most an hour, later)',
  }),
};

export type SettingName = keyof typeof SETTINGS;
/** Each setting's value, by name: the type its entry's parser returns. */
export type ServerConfig = { [N in SettingName]: (typeof SETTINGS)[N] extends Setting<infer T> ? T : never };

/** An entry as code that goes through the whole table sees it. */
export interface AnySetting extends Omit<Setting<unknown>, 'passedTo'> {
  passedTo?: { part: keyof Parts; key: string };
}

/** The table's entries, in order, with their names. */
export const settingEntries = (): Array<[SettingName, AnySetting]> =>
  Object.entries(SETTINGS) as Array<[SettingName, AnySetting]>;

/** The flag's name without its argument: `--port <port>` → `--port`. */
export const flagName = (entry: AnySetting): string => entry.flag.split(' ')[0];

/** A default as --help and the docs show it. */
export function shownDefault(entry: AnySetting): string {
  if (entry.shown !== undefined) return entry.shown;
  return Array.isArray(entry.default) ? entry.default.join(',') : String(entry.default);
}

/** What the config hands to one part of the server: each setting the table passes to it, under the part's own name. */
export function settingsFor<P extends keyof Parts>(config: ServerConfig, part: P): Partial<Parts[P]> {
  const out: Record<string, unknown> = {};
  for (const [name, entry] of settingEntries()) {
    if (entry.passedTo?.part === part) out[entry.passedTo.key] = config[name];
  }
  return out as Partial<Parts[P]>;
}
