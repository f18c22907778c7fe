/**
 * The server's settings. `lastmile serve` takes each from its flag, else its environment
 * variable (ENV), else DEFAULT_CONFIG: server/cli.ts declares that order to commander.
 */
import { DEFAULT_SANDBOX_CONFIG } from './domain/sandbox';
import { DEFAULT_STORE_LIMITS } from './domain/store';
import { DEFAULT_OUTBOX_CONFIG } from './webhooks/outbox';

export interface ServerConfig {
  port: number;
  host: string;
  slotTtlSeconds: number;
  /** null: any non-empty key opens its own tenant. */
  apiKeys: string[] | null;
  maxBodyBytes: number;
  logLevel: string;
  deliveryCodeAttempts: number;
  maxJobsPerTenant: number;
  /** Tenants kept at once; opening one more evicts the least recently used idle tenant. */
  maxTenants: number;
  /** Answer browsers from any origin (CORS), as a front end on another port needs. */
  cors: boolean;
  webhookTimeoutMs: number;
  webhookRetrySchedule: number[];
  webhookRetryJitter: number;
  webhookAllowPrivate: boolean;
  /** Real milliseconds a shutdown gives due webhook deliveries. */
  shutdownGraceMs: number;
}

/** The sandbox, the store and the outbox own their defaults; only the server's own are set here. */
export const DEFAULT_CONFIG: ServerConfig = {
  port: 4000,
  host: '127.0.0.1',
  slotTtlSeconds: DEFAULT_SANDBOX_CONFIG.slotTtlSeconds,
  apiKeys: null,
  maxBodyBytes: 1024 * 1024,
  logLevel: 'info',
  deliveryCodeAttempts: DEFAULT_SANDBOX_CONFIG.deliveryCodeAttempts,
  maxJobsPerTenant: DEFAULT_SANDBOX_CONFIG.maxJobsPerTenant,
  maxTenants: DEFAULT_STORE_LIMITS.maxTenants,
  cors: false,
  webhookTimeoutMs: DEFAULT_OUTBOX_CONFIG.timeoutMs,
  webhookRetrySchedule: DEFAULT_OUTBOX_CONFIG.retrySchedule,
  webhookRetryJitter: DEFAULT_OUTBOX_CONFIG.retryJitter,
  webhookAllowPrivate: DEFAULT_OUTBOX_CONFIG.allowPrivate,
  shutdownGraceMs: 3000,
};

export const DEFAULT_API_KEY = 'sandbox-key';

export class ConfigError extends Error {}

function positiveInt(name: string, raw: string, min = 1): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min) throw new ConfigError(`${name} must be an integer >= ${min}, got "${raw}"`);
  return Number(raw);
}

export const parse = {
  port: (raw: string) => {
    const n = positiveInt('--port', raw, 0);
    if (n > 65535) throw new ConfigError(`--port must be at most 65535, got ${n}`);
    return n;
  },
  positiveInt: (name: string) => (raw: string) => positiveInt(name, raw),
  bytes: (raw: string): number => {
    const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(raw.trim());
    if (!m) throw new ConfigError(`--max-body must be a size such as 1mb, 512kb or 1048576, got "${raw}"`);
    const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? 'b').toLowerCase() as 'b'];
    const n = Math.floor(Number(m[1]) * unit);
    if (n < 1) throw new ConfigError('--max-body must be at least 1 byte');
    return n;
  },
  keys: (raw: string): string[] | null => {
    const keys = raw.split(',').map((k) => k.trim()).filter(Boolean);
    return keys.length ? keys : null;
  },
  schedule: (raw: string): number[] => {
    const parts = raw.split(',').map((s) => s.trim()).filter(Boolean);
    if (!parts.length || parts.some((p) => !/^\d+(\.\d+)?$/.test(p))) {
      throw new ConfigError(`--webhook-retry-schedule must be seconds separated by commas, e.g. 1,5,30, got "${raw}"`);
    }
    return parts.map(Number);
  },
  bool: (name: string) => (raw: string): boolean => {
    if (/^(true|1|yes|on)$/i.test(raw)) return true;
    if (/^(false|0|no|off)$/i.test(raw)) return false;
    throw new ConfigError(`${name} must be true or false, got "${raw}"`);
  },
  logLevel: (raw: string): string => {
    const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
    if (!levels.includes(raw)) throw new ConfigError(`--log-level must be one of ${levels.join(', ')}, got "${raw}"`);
    return raw;
  },
  jitter: (raw: string): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0 || n >= 1) throw new ConfigError(`--webhook-retry-jitter must be in [0, 1), got "${raw}"`);
    return n;
  },
};

/** Each setting's environment variable, as `--help` names it. */
export const ENV = {
  port: 'LASTMILE_PORT',
  host: 'LASTMILE_HOST',
  slotTtlSeconds: 'LASTMILE_SLOT_TTL',
  apiKeys: 'LASTMILE_API_KEYS',
  maxBodyBytes: 'LASTMILE_MAX_BODY',
  logLevel: 'LASTMILE_LOG_LEVEL',
  deliveryCodeAttempts: 'LASTMILE_DELIVERY_CODE_ATTEMPTS',
  maxJobsPerTenant: 'LASTMILE_MAX_JOBS',
  maxTenants: 'LASTMILE_MAX_TENANTS',
  cors: 'LASTMILE_CORS',
  webhookTimeoutMs: 'LASTMILE_WEBHOOK_TIMEOUT',
  webhookRetrySchedule: 'LASTMILE_WEBHOOK_RETRY_SCHEDULE',
  webhookRetryJitter: 'LASTMILE_WEBHOOK_RETRY_JITTER',
  webhookAllowPrivate: 'LASTMILE_WEBHOOK_ALLOW_PRIVATE',
} as const;
