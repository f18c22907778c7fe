/**
 * startSandbox's and spawnSandbox's options: the settings of `lastmile serve`, by the names of
 * the server's config, checked by the same parsers as the command line (a value is written as
 * the text a flag would carry and read back), so a bad value is refused with the same words.
 */
import { ConfigError, DEFAULT_CONFIG, ENV, parse, type ServerConfig } from '../server/config';

export type SandboxOptions = Partial<ServerConfig>;
export type SettingName = keyof ServerConfig;

/** Each setting's reader of the text form. */
const READERS: { [N in SettingName]: (raw: string) => ServerConfig[N] } = {
  port: parse.port,
  host: (raw) => raw,
  slotTtlSeconds: parse.positiveInt('slotTtlSeconds'),
  apiKeys: parse.keys,
  maxBodyBytes: parse.bytes,
  logLevel: parse.logLevel,
  deliveryCodeAttempts: parse.positiveInt('deliveryCodeAttempts'),
  maxJobsPerTenant: parse.positiveInt('maxJobsPerTenant'),
  maxTenants: parse.positiveInt('maxTenants'),
  cors: parse.bool('cors'),
  webhookTimeoutMs: parse.positiveInt('webhookTimeoutMs'),
  webhookRetrySchedule: parse.schedule,
  webhookRetryJitter: parse.jitter,
  webhookAllowPrivate: parse.bool('webhookAllowPrivate'),
  shutdownGraceMs: parse.positiveInt('shutdownGraceMs'),
  store: parse.store,
  storePrefix: parse.storePrefix,
  tenantTtlSeconds: parse.positiveInt('tenantTtlSeconds'),
};

const isSetting = (name: string): name is SettingName => Object.hasOwn(DEFAULT_CONFIG, name);

/** The text a flag or an environment variable would carry for this value. */
function asText(name: string, value: unknown): string {
  if (Array.isArray(value)) return value.map((item) => asText(name, item)).join(',');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ConfigError(`${name} must be a ${typeof DEFAULT_CONFIG[name as SettingName] === 'object' ? 'list' : typeof DEFAULT_CONFIG[name as SettingName]}, got ${value === null ? 'null' : typeof value}`);
}

/**
 * The options checked and read as `lastmile serve` reads its flags. Throws ConfigError naming
 * the setting for an unknown name or a bad value; undefined values are left to their defaults.
 */
export function readSettings(options: object): { config: SandboxOptions; text: Partial<Record<SettingName, string>> } {
  const config: Record<string, unknown> = {};
  const text: Partial<Record<SettingName, string>> = {};
  for (const [name, value] of Object.entries(options)) {
    if (!isSetting(name)) throw new ConfigError(`unknown setting "${name}"; the settings are ${Object.keys(DEFAULT_CONFIG).join(', ')}`);
    if (value === undefined) continue;
    if (name === 'apiKeys' && value === null) {
      config[name] = null;
      continue;
    }
    const raw = asText(name, value);
    try {
      config[name] = READERS[name](raw);
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError(`${name}: ${error.message}`);
      throw error;
    }
    text[name] = raw;
  }
  return { config: config as SandboxOptions, text };
}

/** The environment variable `lastmile serve` reads a setting from, when it has one. */
export function envVariableOf(name: SettingName): string | undefined {
  return (ENV as Partial<Record<SettingName, string>>)[name];
}
