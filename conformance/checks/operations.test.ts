/**
 * Each check's `operations` list (published in CHECKS.md) is what the check calls: every
 * check runs against the reference server, and the operations its requests reached, matched
 * by method and path against the spec, must be exactly the ones it declares.
 */
import { findOperation } from '../../spec/contract';
import { serve, SERVE_STARTUP_TIMEOUT_MS, type ServedProcess } from '../../test/support/serve';
import { catalogue } from './catalogue';
import { WebhookReceiver } from '../receiver/receiver';
import { runOne } from '../runner/runner';
import type { Check } from './context';
import type { CheckResult } from './result';

const CONCURRENCY = 4;
/** Generous: the whole catalogue, on a machine other builds keep busy. */
const RUN_TIMEOUT_MS = 240_000;
const keyOf = (index: number, role: 'primary' | 'second') => `operations-${role}-${index}`;

let server: ServedProcess;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  // Keys are restricted so that the wrong-key checks run too; each check still gets tenants of its own.
  const keys = catalogue.flatMap((_check, index) => [keyOf(index, 'primary'), keyOf(index, 'second')]);
  [server] = await Promise.all([serve(['--api-keys', keys.join(',')]), receiver.start({ host: '127.0.0.1', port: 0 })]);
}, SERVE_STARTUP_TIMEOUT_MS);

afterAll(() => Promise.all([server?.close(), receiver.close()]));

function operationsReached(result: CheckResult): string[] {
  return [
    ...new Set(
      result.exchanges.map((exchange) => {
        const { method, url } = exchange.request;
        return (
          findOperation(method, new URL(url).pathname)?.operationId ??
          `${method} ${new URL(url).pathname} (no operation)`
        );
      }),
    ),
  ].sort();
}

async function runAll(): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < catalogue.length) {
      const index = next++;
      const check: Check = catalogue[index];
      results[index] = await runOne(check, {
        baseUrl: server.url,
        keys: { primary: keyOf(index, 'primary'), second: keyOf(index, 'second'), wrong: 'operations-not-a-key' },
        timeoutMs: 10_000,
        checkTimeoutMs: 120_000,
        seed: 1,
        receiver,
        resetFirst: false,
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return results;
}

describe('the operations each check declares', () => {
  it(
    'are exactly the operations it calls',
    async () => {
      const results = await runAll();
      expect(
        results
          .filter((r) => r.status !== 'passed')
          .map((r) => [r.id, r.status, r.reason, r.failures.map((f) => f.message)]),
      ).toEqual([]);
      const mismatches = results
        .map((result) => {
          const reached = operationsReached(result);
          const declared: string[] = [...new Set(result.operations)].sort();
          return {
            id: result.id,
            undeclared: reached.filter((op) => !declared.includes(op)),
            neverCalled: declared.filter((op) => !reached.includes(op)),
          };
        })
        .filter((m) => m.undeclared.length > 0 || m.neverCalled.length > 0);
      expect(mismatches).toEqual([]);
    },
    RUN_TIMEOUT_MS,
  );

  it('name each operation once', () => {
    expect(
      catalogue.filter((check) => new Set(check.operations).size !== check.operations.length).map((c) => c.id),
    ).toEqual([]);
  });
});
