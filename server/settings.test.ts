/** The settings table: one entry per setting, its defaults readable by its own parser, and each passed to its part. */
import { DEFAULT_SANDBOX_CONFIG } from './domain/sandbox';
import { DEFAULT_STORE_LIMITS } from './domain/store';
import { DEFAULT_OUTBOX_CONFIG } from './webhooks/outbox';
import { DEFAULT_CONFIG } from './config';
import { ConfigError, flagName, parse, settingEntries, settingsFor, shownDefault } from './settings';

describe('the settings table', () => {
  it('gives each setting its own flag and environment variable', () => {
    const flags = settingEntries().map(([, entry]) => flagName(entry));
    const envs = settingEntries().map(([, entry]) => entry.env);
    expect(new Set(flags).size).toBe(flags.length);
    expect(new Set(envs).size).toBe(envs.length);
    for (const flag of flags) expect(flag).toMatch(/^--[a-z][a-z-]*$/);
  });

  it("shows each default (but the API keys' and secrets') in a form its own parser reads back", () => {
    for (const [name, entry] of settingEntries()) {
      // A secret's default is named, never printed: the docs and --help show a placeholder.
      if (entry.default === null || entry.parse === parse.secret) continue;
      expect([name, entry.parse(shownDefault(entry), flagName(entry))]).toEqual([name, entry.default]);
    }
  });

  it('makes DEFAULT_CONFIG of the defaults, with its own copy of the retry schedule', () => {
    expect(DEFAULT_CONFIG).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      apiKeys: null,
      maxBodyBytes: 1024 * 1024,
      store: 'memory',
    });
    expect(Object.keys(DEFAULT_CONFIG)).toEqual(settingEntries().map(([name]) => name));
    expect(DEFAULT_CONFIG.webhookRetrySchedule).toEqual(DEFAULT_OUTBOX_CONFIG.retrySchedule);
    expect(DEFAULT_CONFIG.webhookRetrySchedule).not.toBe(DEFAULT_OUTBOX_CONFIG.retrySchedule);
  });

  it("passes each part its settings under the part's own names, with the part's defaults", () => {
    expect(settingsFor(DEFAULT_CONFIG, 'sandbox')).toEqual({
      slotTtlSeconds: DEFAULT_SANDBOX_CONFIG.slotTtlSeconds,
      deliveryCodeAttempts: DEFAULT_SANDBOX_CONFIG.deliveryCodeAttempts,
      maxJobsPerTenant: DEFAULT_SANDBOX_CONFIG.maxJobsPerTenant,
    });
    expect(settingsFor({ ...DEFAULT_CONFIG, webhookTimeoutMs: 1234, webhookAllowPrivate: false }, 'outbox')).toEqual({
      timeoutMs: 1234,
      retrySchedule: DEFAULT_OUTBOX_CONFIG.retrySchedule,
      retryJitter: DEFAULT_OUTBOX_CONFIG.retryJitter,
      allowPrivate: false,
      relayGraceSeconds: DEFAULT_OUTBOX_CONFIG.relayGraceSeconds,
    });
    expect(settingsFor(DEFAULT_CONFIG, 'storeLimits')).toEqual(DEFAULT_STORE_LIMITS);
  });

  it.each([
    [() => parse.port('70000', '--port'), '--port must be at most 65535, got 70000'],
    [() => parse.positiveInt('0', '--slot-ttl'), '--slot-ttl must be an integer >= 1, got "0"'],
    [() => parse.bytes('lots', '--max-body'), '--max-body must be a size such as 1mb, 512kb or 1048576, got "lots"'],
    [
      () => parse.schedule('1,x', '--webhook-retry-schedule'),
      '--webhook-retry-schedule must be seconds separated by commas, e.g. 1,5,30, got "1,x"',
    ],
    [() => parse.fraction('1', '--webhook-retry-jitter'), '--webhook-retry-jitter must be in [0, 1), got "1"'],
    [
      () => parse.store('http://x', '--store'),
      '--store must be memory, a redis:// URL or a redis-cluster:// URL, got "http://x"',
    ],
    [() => parse.bool('maybe', '--cors'), '--cors must be true or false, got "maybe"'],
  ])('refuses a bad value naming its flag (%#)', (read, message) => {
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(message);
  });
});
