/**
 * A small runner of its own: selects checks by level, id and category, gives each a tenant
 * of its own, runs them with a bounded concurrency and a deadline, and collects results.
 */
import { catalogue } from '../checks/catalogue';
import { CheckContext, type Keys } from '../checks/context';
import { CheckSkipped, failureFromError } from '../checks/failure';
import { WebhookReceiver } from '../receiver/receiver';
import { probeImplementation, probeKey, UnreachableError, WrongBaseUrlError } from './probe';
import { coverageOf } from '../explore/coverage';
import { exploreKey, runExplore } from '../explore/run';
import { replayScript } from './script';
import type { Check, LevelOption } from '../checks/context';
import type { CheckResult, RunResult } from '../checks/result';
import type { Exchange } from '../../client/exchange';

export interface ConformanceOptions {
  baseUrl: string;
  apiKey: string;
  level?: LevelOption;
  /** Check ids or categories to run (case-insensitive); all when empty. */
  only?: string[];
  /** Check ids or categories to leave out. */
  skip?: string[];
  /** A key of another tenant, for the isolation checks. */
  secondApiKey?: string;
  /** A key the implementation refuses, for the wrong-key checks. */
  wrongApiKey?: string;
  /** Use `apiKey` for every check (one at a time) instead of a fresh tenant per check. */
  sharedTenant?: boolean;
  /**
   * Let the kit reset tenants it did not create (`--api-key` in shared mode, a given
   * `--second-api-key`) before each sandbox check. Without it those tenants are never
   * reset, nor their clock or webhook endpoints changed: checks that need that skip.
   */
  allowReset?: boolean;
  /** Called with what the run decided about tenants, before the first check. */
  onNotice?: (message: string) => void;
  /** Per HTTP call and per wait for webhooks, in ms. */
  timeoutMs?: number;
  /** Per check, in ms. */
  checkTimeoutMs?: number;
  concurrency?: number;
  seed?: number;
  receiverHost?: string;
  receiverPort?: number;
  receiverPublicUrl?: string;
  /** The checks to choose from; the whole catalogue by default. */
  checks?: readonly Check[];
  /** After the catalogue, explore random sequences judged by the model (check EXPLORE). */
  explore?: boolean;
  exploreRuns?: number;
  exploreSteps?: number;
  /** Called as each check finishes, for progress output. */
  onResult?: (result: CheckResult) => void;
}

export class SelectionError extends Error {}

export function parseList(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** The checks a run selects, in catalogue order; unknown names are an error, not a silent no-op. */
export function selectChecks(
  checks: readonly Check[],
  options: { level?: LevelOption; only?: string[]; skip?: string[] },
): Check[] {
  const level = options.level ?? 'all';
  if (!['contract', 'sandbox', 'all'].includes(level))
    throw new SelectionError(`unknown level ${level}: use contract, sandbox or all`);
  const only = parseList(options.only).map((s) => s.toLowerCase());
  const skip = parseList(options.skip).map((s) => s.toLowerCase());
  // EXPLORE (its id and its category) names the exploration, which is no catalogue check: see exploreSelected.
  const known = new Set([EXPLORE_NAME, ...checks.flatMap((c) => [c.id.toLowerCase(), c.category.toLowerCase()])]);
  const unknown = [...only, ...skip].filter((name) => !known.has(name));
  if (unknown.length > 0) throw new SelectionError(`no check id or category named ${unknown.join(', ')}`);
  const matches = (check: Check, names: string[]) =>
    names.includes(check.id.toLowerCase()) || names.includes(check.category.toLowerCase());
  return checks.filter(
    (check) =>
      (level === 'all' || check.level === level) &&
      (only.length === 0 || matches(check, only)) &&
      !matches(check, skip),
  );
}

/** The exploration's check id and category, as --only and --skip name it (lower case). */
const EXPLORE_NAME = 'explore';

/**
 * Whether the run explores: `--explore`, or `--only EXPLORE` (alone it runs the exploration
 * without the catalogue); `--skip EXPLORE` turns it off either way.
 */
export function exploreSelected(options: { explore?: boolean; only?: string[]; skip?: string[] }): boolean {
  const named = (list: string[] | undefined) => parseList(list).some((name) => name.toLowerCase() === EXPLORE_NAME);
  return (options.explore === true || named(options.only)) && !named(options.skip);
}

const freshKey = probeKey;

export { UnreachableError, WrongBaseUrlError };

interface Tenancy {
  shared: boolean;
  /** Keys every check gets; `second` undefined means a fresh one per check. */
  keys: Omit<Keys, 'primary' | 'second'> & { second?: Keys['second'] };
  notice?: string;
}

/**
 * Fresh tenants when the implementation opens one for any key; otherwise, or when asked,
 * one shared tenant, which is the user's: never reset without --allow-reset.
 */
export function chooseTenancy(
  options: Pick<ConformanceOptions, 'apiKey' | 'sharedTenant' | 'allowReset' | 'secondApiKey' | 'wrongApiKey'>,
  openTenants: boolean | undefined,
): Tenancy {
  const why =
    options.sharedTenant === true
      ? '--shared-tenant was given'
      : openTenants === false
        ? 'the implementation refuses random keys'
        : 'could not tell whether the implementation opens a tenant for any key';
  const shared = options.sharedTenant === true || openTenants !== true;
  const wrong: Keys['wrong'] =
    options.wrongApiKey ??
    (openTenants === false
      ? freshKey()
      : {
          unavailable: openTenants
            ? 'the implementation opens a tenant for any non-empty key, so no key is wrong; pass --wrong-api-key to test one it refuses'
            : 'could not tell whether a random key is refused; pass --wrong-api-key',
        });
  const second: Keys['second'] | undefined =
    options.secondApiKey ??
    (shared
      ? {
          unavailable: `no second tenant: every check shares the tenant of --api-key (${why}), so pass --second-api-key`,
        }
      : undefined);
  const keys: Tenancy['keys'] = { wrong, second };
  // Tenants the user named hold the user's data: guarded unless resetting them was allowed.
  const flags = new Map<string, string>();
  if (options.secondApiKey !== undefined) flags.set(options.secondApiKey, '--second-api-key');
  if (shared) flags.set(options.apiKey, '--api-key');
  const resets = options.allowReset === true;
  if (flags.size > 0 && !resets) keys.protectedTenants = { flags, reason: shared ? why : 'a key given by the user' };
  if (!shared) return { shared, keys };
  const notice = `one shared tenant, --api-key, for every check, one at a time (${why}); ${
    resets
      ? '--allow-reset: it is reset before each sandbox check, deleting its jobs, webhook endpoints and clock offset'
      : 'it is never reset: checks that would change its clock or webhook endpoints skip (--allow-reset resets it instead)'
  }`;
  return { shared, keys, notice };
}

export const DEFAULTS = {
  timeoutMs: 5000,
  checkTimeoutMs: 60_000,
  concurrency: 4,
  receiverHost: '127.0.0.1',
  receiverPort: 0,
};

export async function runConformance(options: ConformanceOptions): Promise<RunResult> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const level = options.level ?? 'all';
  const selected = selectChecks(options.checks ?? catalogue, options);
  const explore = exploreSelected(options);
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const checkTimeoutMs = options.checkTimeoutMs ?? Math.max(DEFAULTS.checkTimeoutMs, timeoutMs * 6);
  const seed = options.seed ?? 1;
  const usesSandbox = (explore && level !== 'contract') || selected.some((check) => check.level === 'sandbox');
  const openTenants = await probeImplementation(options.baseUrl, timeoutMs, usesSandbox);
  const tenancy = chooseTenancy(options, openTenants);
  const shared = tenancy.shared;
  const concurrency = shared ? 1 : Math.max(1, options.concurrency ?? DEFAULTS.concurrency);
  if (tenancy.notice) options.onNotice?.(tenancy.notice);
  const keysFor = (): Keys => ({
    ...tenancy.keys,
    primary: shared ? options.apiKey : freshKey(),
    second: tenancy.keys.second ?? freshKey(),
  });

  let receiver: WebhookReceiver | undefined;
  const explored = new Set<string>();
  const results = new Array<CheckResult>(selected.length);
  try {
    if (selected.some((c) => c.usesReceiver) || explore) {
      receiver = new WebhookReceiver();
      await receiver.start({
        host: options.receiverHost ?? DEFAULTS.receiverHost,
        port: options.receiverPort ?? DEFAULTS.receiverPort,
        publicUrl: options.receiverPublicUrl,
      });
    }
    let next = 0;
    const worker = async () => {
      while (next < selected.length) {
        const index = next++;
        const check = selected[index];
        const result = await runOne(check, {
          baseUrl: options.baseUrl,
          keys: keysFor(),
          timeoutMs,
          checkTimeoutMs,
          seed,
          receiver,
          resetFirst: shared && options.allowReset === true && check.level === 'sandbox',
          shared,
        });
        results[index] = result;
        options.onResult?.(result);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, selected.length) }, worker));
    if (explore) {
      const result = await runExplore({
        baseUrl: options.baseUrl,
        runs: options.exploreRuns,
        steps: options.exploreSteps,
        seed,
        timeoutMs,
        receiver: receiver!,
        shared,
        coverage: explored,
        // Fresh tenants mean the implementation opens one for any key: a second is always at hand.
        keys: () =>
          shared
            ? [options.apiKey, ...(options.secondApiKey ? [options.secondApiKey] : [])]
            : [exploreKey(), options.secondApiKey ?? exploreKey()],
        unavailable:
          level === 'contract'
            ? 'exploration drives jobs, the clock and webhooks through /sandbox, which --level contract leaves out'
            : undefined,
      });
      results.push(result);
      options.onResult?.(result);
    }
  } finally {
    await receiver?.close();
  }
  const summary = {
    passed: results.filter((r) => r.status === 'passed').length,
    failed: results.filter((r) => r.status === 'failed').length,
    skipped: results.filter((r) => r.status === 'skipped').length,
  };
  return {
    tool: { name: 'lastmile conform', version: (require('../../package.json') as { version: string }).version },
    baseUrl: options.baseUrl,
    level,
    tenantMode: shared ? 'shared' : 'fresh',
    ...(tenancy.notice ? { notices: [tenancy.notice] } : {}),
    startedAt,
    durationMs: Date.now() - started,
    summary,
    checks: results,
    coverage: coverageOf(results, explored),
  };
}

interface RunOneConfig {
  baseUrl: string;
  keys: Keys;
  timeoutMs: number;
  checkTimeoutMs: number;
  seed: number;
  receiver?: WebhookReceiver;
  resetFirst: boolean;
  /** One tenant shared by every check: a replay script acts with the run's own keys. */
  shared?: boolean;
}

export async function runOne(check: Check, config: RunOneConfig): Promise<CheckResult> {
  const abort = new AbortController();
  const ctx = new CheckContext({
    check,
    baseUrl: config.baseUrl,
    keys: config.keys,
    timeoutMs: config.timeoutMs,
    seed: config.seed,
    signal: abort.signal,
    receiver: config.receiver,
  });
  const started = performance.now();
  let status: CheckResult['status'] = 'passed';
  let reason: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new Error(`the check took longer than ${config.checkTimeoutMs} ms`));
      }, config.checkTimeoutMs);
    });
    const body = async () => {
      if (config.resetFirst) await resetTenants(ctx, config.keys);
      await check.run(ctx);
    };
    await Promise.race([body(), deadline]);
  } catch (error) {
    if (error instanceof CheckSkipped) {
      status = 'skipped';
      reason = error.reason;
    } else {
      ctx.failures.push(failureFromError(error, ctx.lastExchange));
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  // A contract violation seen before a skip still fails the check.
  if (ctx.failures.length > 0) status = 'failed';
  const script =
    status === 'failed' && ctx.exchanges.length > 0 ? checkScript(check, ctx.exchanges, config) : undefined;
  return {
    id: check.id,
    title: check.title,
    category: check.category,
    level: check.level,
    operations: [...check.operations],
    negative: check.negative === true,
    status,
    ...(reason === undefined ? {} : { reason }),
    durationMs: Math.round((performance.now() - started) * 10) / 10,
    failures: ctx.failures,
    exchanges: ctx.exchanges,
    ...(script === undefined ? {} : { script }),
  };
}

/**
 * Every call of a failed check, in order, as a script: a stateful failure (a second create on
 * the same slot) needs the calls before it to show anything on a fresh tenant.
 */
function checkScript(check: Check, exchanges: Exchange[], config: RunOneConfig): string {
  const { primary, second, wrong } = config.keys;
  const used = (key: unknown): key is string =>
    typeof key === 'string' && exchanges.some((e) => e.request.headers['x-api-key'] === key);
  // The wrong key must stay one the implementation refuses: a fresh one may open a tenant.
  const keys = [
    { key: primary, same: config.shared === true },
    ...(used(second) && second !== primary ? [{ key: second, same: config.shared === true }] : []),
    ...(used(wrong) ? [{ key: wrong, same: true }] : []),
  ];
  return replayScript([{ n: 1, step: `${check.id}: ${check.title}`, exchanges }], {
    baseUrl: config.baseUrl,
    keys: keys.map((k) => k.key),
    sameKeys: keys.map((k) => k.same),
    title: `lastmile conform --only ${check.id}: the check's ${exchanges.length} calls, in order`,
    about: 'Replays every call of the failed check.',
    freshKeyPrefix: 'conform-replay',
  });
}

/** With one tenant shared by every check, a sandbox check starts from a wiped tenant. */
async function resetTenants(ctx: CheckContext, keys: Keys): Promise<void> {
  for (const key of [keys.primary, typeof keys.second === 'string' ? keys.second : undefined]) {
    if (key === undefined) continue;
    const response = await ctx.clientFor(key).call('resetTenant');
    ctx.expectStatus(response, 200);
  }
}
