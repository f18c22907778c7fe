/**
 * The server's configuration, derived from the settings table (settings.ts): its type and its
 * defaults. `lastmile serve` takes each setting from its flag, else its environment variable,
 * else DEFAULT_CONFIG (server/cli.ts declares that order to commander).
 */
import { settingEntries, type ServerConfig } from './settings';

export { ConfigError, type ServerConfig } from './settings';

/** Every setting's default, from its entry. */
export const DEFAULT_CONFIG: ServerConfig = Object.fromEntries(
  settingEntries().map(([name, entry]) => [
    name,
    Array.isArray(entry.default) ? [...(entry.default as unknown[])] : entry.default,
  ]),
) as ServerConfig;

/** The key the banner offers when any key is accepted. */
export const DEFAULT_API_KEY = 'sandbox-key';
