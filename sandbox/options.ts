/**
 * startSandbox's and spawnSandbox's options: the settings of `lastmile serve` by the names of
 * the settings table (server/settings.ts), each checked by its entry's own parser (a value is
 * written as the text its flag would carry and read back), so a bad value is refused with the
 * words the command line uses, naming the option.
 */
import { ConfigError, settingEntries, type AnySetting, type ServerConfig, type SettingName } from '../server/settings';

export type SandboxOptions = Partial<ServerConfig>;
export type { SettingName };

const SETTINGS = new Map<string, AnySetting>(settingEntries());

/** The text a flag or an environment variable would carry for this value. */
function asText(name: string, value: unknown, entry: AnySetting): string {
  if (Array.isArray(value)) return value.map((item) => asText(name, item, entry)).join(',');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  const expected = Array.isArray(entry.default) ? 'list' : entry.default === null ? 'list' : typeof entry.default;
  throw new ConfigError(`${name} must be a ${expected}, got ${value === null ? 'null' : typeof value}`);
}

/**
 * The options checked and read as `lastmile serve` reads its flags, with the text each was
 * read from. Throws ConfigError for an unknown name or a bad value; an undefined value leaves
 * the setting to its default.
 */
export function readSettings(options: object): { config: SandboxOptions; text: Partial<Record<SettingName, string>> } {
  const config: Record<string, unknown> = {};
  const text: Partial<Record<SettingName, string>> = {};
  for (const [name, value] of Object.entries(options)) {
    const entry = SETTINGS.get(name);
    if (!entry) throw new ConfigError(`unknown setting "${name}"; the settings are ${[...SETTINGS.keys()].join(', ')}`);
    if (value === undefined) continue;
    if (value === null && entry.default === null) {
      config[name] = null;
      continue;
    }
    const raw = asText(name, value, entry);
    config[name] = entry.parse(raw, name);
    text[name as SettingName] = raw;
  }
  return { config, text };
}

/** The environment variable `lastmile serve` reads a setting from. */
export const envVariableOf = (name: SettingName): string => (SETTINGS.get(name) as AnySetting).env;
