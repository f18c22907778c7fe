/**
 * A second opinion from an independent validator: the whole kit runs against the
 * reference server through `prism proxy spec/openapi.yaml <server>`. Prism reports what it
 * finds wrong with each request and response in its `sl-violations` header, which the kit
 * records with every response it gets. Responses: nothing may be wrong. Requests: only
 * checks labelled negative may send what the spec refuses.
 */
import { catalogue, runConformance, type CheckResult, type RunResult } from '../../conformance';
import { SPEC_PATH } from '../../spec/contract';
import { behindProxy, editJson, patchedServer, type RunningMutant } from '../mutants/tools';
import { startPrismProxy, type RunningPrism } from './prism';

interface PrismViolation {
  location: string[];
  severity: string;
  code: string | number;
  message: string;
}

interface Seen {
  check: string;
  negative: boolean;
  call: string;
  violation: PrismViolation;
}

/** A key whose clock reading the server's path to Prism breaks, to show a response violation is seen. */
const CANARY_KEY = 'prism-canary';

/**
 * Prism 5.14 parses a JSON request body itself and answers one it cannot parse with its
 * own 400 `{"error": {"code": "invalid_json"}}`, never forwarding it: the server's 400
 * MALFORMED_JSON cannot be judged through it.
 */
const ANSWERED_BY_PRISM = ['VALIDATION-MALFORMED-JSON-400', 'VALIDATION-MALFORMED-JSON-SANDBOX-400'];

function violations(run: RunResult): Seen[] {
  return run.checks.flatMap((check: CheckResult) =>
    check.exchanges.flatMap((exchange) => {
      const header = exchange.response?.headers['sl-violations'];
      if (header === undefined) return [];
      const call = `${exchange.request.method} ${new URL(exchange.request.url).pathname} -> ${exchange.response!.status}`;
      return (JSON.parse(header) as PrismViolation[]).map((violation) => ({
        check: check.id,
        negative: check.negative,
        call,
        violation,
      }));
    }),
  );
}

const side = (seen: Seen) => seen.violation.location[0];

describe('the kit through prism proxy in front of the reference server', () => {
  let upstream: RunningMutant;
  let prism: RunningPrism;
  let run: RunResult;

  beforeAll(async () => {
    upstream = await behindProxy(await patchedServer(() => undefined), {
      response: (exchange) =>
        exchange.requestHeaders['x-api-key'] === CANARY_KEY && exchange.path === '/sandbox/clock'
          ? {
              ...exchange,
              body: editJson(exchange.body, (clock) => {
                clock.offset_seconds = String(clock.offset_seconds);
              }),
            }
          : exchange,
    });
    prism = await startPrismProxy(SPEC_PATH, upstream.url);
    run = await runConformance({ baseUrl: prism.url, apiKey: 'prism-proxy' });
  }, 60_000);

  afterAll(async () => {
    await prism?.stop();
    await upstream?.close();
  });

  it("sees Prism's verdict on every response (a wrong-typed field in the canary's clock is reported)", async () => {
    const response = await fetch(`${prism.url}/sandbox/clock`, { headers: { 'x-api-key': CANARY_KEY } });
    await response.arrayBuffer();
    const reported = JSON.parse(response.headers.get('sl-violations') ?? '[]') as PrismViolation[];
    expect(reported.map((v) => v.location.join('.'))).toContain('response.body.offset_seconds');
  });

  it('finds nothing wrong with any response of the reference server', () => {
    expect(violations(run).filter((seen) => side(seen) !== 'request')).toEqual([]);
  });

  it('finds requests that break the spec only in checks labelled negative', () => {
    const requestSide = violations(run).filter((seen) => side(seen) === 'request');
    expect(requestSide.filter((seen) => !seen.negative)).toEqual([]);
    // The negative checks do send such requests, so the assertion above has something to judge.
    expect(new Set(requestSide.map((seen) => seen.check))).toEqual(
      new Set([
        'AUTH-MISSING-KEY-401',
        'AUTH-MISSING-KEY-SANDBOX-401',
        'FAULT-CONTROL-ROUTES-UNTOUCHED',
        'VALIDATION-CREATE-JOB-422',
        'VALIDATION-AVAILABILITY-422',
        'VALIDATION-CONTENT-TYPE-415',
        'VALIDATION-CONTENT-TYPE-SANDBOX-415',
        'DELIVERY-CODE-UPDATE',
        'DELIVERY-CODE-COMPLETION',
        'SANDBOX-CLOCK-ADVANCE',
        'JOB-NOT-FOUND-404',
        'JOB-UPDATE-REFUSALS',
        'SANDBOX-REFUSALS',
      ]),
    );
  });

  it('agrees with the kit: every check passes except the ones Prism answers itself', () => {
    const failed = run.checks.filter((c) => c.status === 'failed');
    expect(failed.map((c) => c.id)).toEqual(ANSWERED_BY_PRISM);
    for (const check of failed) {
      const answered = check.exchanges
        .filter((e) => e.response?.status === 400)
        .map((e) => e.response!.json as { error?: { code?: string } } | undefined);
      expect(answered.length).toBeGreaterThan(0);
      expect(answered.every((body) => body?.error?.code === 'invalid_json')).toBe(true);
    }
    expect(run.checks.filter((c) => c.status === 'skipped').map((c) => c.id)).toEqual([
      'AUTH-WRONG-KEY-401',
      'AUTH-WRONG-KEY-SANDBOX-401',
    ]);
    expect(run.checks).toHaveLength(catalogue.length);
  });
});
