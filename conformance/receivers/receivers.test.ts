/**
 * conform-receiver against tiny receivers: the documentation's own verify() sample passes;
 * a receiver that skips verification, one that checks only production's signature, one
 * that refuses unknown event types and one that never answers fail, each where it should.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileFunction } from 'node:vm';
import { Webhook } from 'standardwebhooks';
import { webhookEventTypes } from '../../spec/contract';
import { HookServer, type HookRequest } from '../receiver/hook-server';
import { newWebhookSecret } from '../receiver/receiver';
import { formatCheckLine, formatClosing } from '../reporters/console';
import { renderHtml } from '../reporters/html';
import { renderJunit } from '../reporters/junit';
import type { RunResult } from '../checks/result';
import { receiverChecks } from './checks';
import { assertValidEvent, CONFORMANCE_PREFIX, EventFactory, UNKNOWN_EVENT_TYPE } from './events';
import { runReceiverConformance } from './run';

const ROOT = join(__dirname, '..', '..');
const SAMPLE_HEADING = /^#+ Verify both signatures\s*$/m;

/** The verify() sample as the documentation shows it: the first js block under its heading, wherever that heading lives. */
function documentedSample(): { file: string; code: string } {
  const docs = [
    join(ROOT, 'README.md'),
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => join(ROOT, 'docs', f)),
  ];
  for (const file of docs) {
    const text = readFileSync(file, 'utf8');
    const heading = SAMPLE_HEADING.exec(text);
    if (!heading) continue;
    const block = /```js\n([\s\S]*?)```/.exec(text.slice(heading.index));
    if (block) return { file, code: block[1] };
  }
  throw new Error('no "Verify both signatures" section with a js block in README.md or docs/*.md');
}

type Verify = (rawBody: string, headers: Record<string, string>, secret: string) => { type: string };

function loadVerify(code: string): Verify {
  // The sample is plain CommonJS: it gets this test's require, which resolves standardwebhooks as a user's install would.
  const load = compileFunction(`${code}\nreturn verify;`, ['require'], { filename: 'verify-sample.js' });
  return load(require) as Verify;
}

/** A receiver that answers 204 when `accept` returns true and 400 (with the reason) when it throws or returns false. */
async function receiver(
  accept: (request: HookRequest) => boolean | 'never-answer',
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = new HookServer(
    (request, _req, res) => {
      let verdict: boolean | 'never-answer';
      try {
        verdict = accept(request);
      } catch (error) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String((error as Error).message));
        return;
      }
      if (verdict === 'never-answer') return;
      res.writeHead(verdict ? 204 : 400).end();
    },
    { keep: false },
  );
  const url = await server.listen('127.0.0.1', 0);
  return { url: `${url}/webhooks`, close: () => server.close() };
}

const statuses = (run: RunResult) => Object.fromEntries(run.checks.map((c) => [c.id, c.status]));
const failedIds = (run: RunResult) => run.checks.filter((c) => c.status === 'failed').map((c) => c.id);
const warnedIds = (run: RunResult) => run.checks.filter((c) => c.warnings?.length).map((c) => c.id);
const REFUSALS = receiverChecks.filter((c) => c.category === 'refusals').map((c) => c.id);

async function judge(accept: Parameters<typeof receiver>[0], secret: string, timeoutMs?: number): Promise<RunResult> {
  const target = await receiver(accept);
  try {
    return await runReceiverConformance({ url: target.url, secret, ...(timeoutMs ? { timeoutMs } : {}) });
  } finally {
    await target.close();
  }
}

describe("the documentation's verify() sample", () => {
  const secret = newWebhookSecret();
  const { file, code } = documentedSample();
  const verify = loadVerify(code);

  it('passes conform-receiver, with no warning, when a receiver answers 2xx exactly when it verifies', async () => {
    const run = await judge((r) => Boolean(verify(r.body, r.headers, secret)), secret);
    expect({ file: file.slice(ROOT.length + 1), failed: failedIds(run), warned: warnedIds(run) }).toEqual({
      file: expect.stringMatching(/\.md$/),
      failed: [],
      warned: [],
    });
    expect(run.summary).toEqual({ passed: receiverChecks.length, failed: 0, skipped: 0 });
    expect(run.checks.length).toBeGreaterThanOrEqual(webhookEventTypes.length + 9);
  });

  it('fails only the forward-compatibility check when the receiver refuses event types it does not know', async () => {
    const run = await judge((r) => webhookEventTypes.includes(verify(r.body, r.headers, secret).type), secret);
    expect(failedIds(run)).toEqual(['RECEIVER-UNKNOWN-EVENT-TYPE']);
    expect(
      run.checks.find((c) => c.id === 'RECEIVER-UNKNOWN-EVENT-TYPE')!.failures[0].exchange!.request.body,
    ).toContain(UNKNOWN_EVENT_TYPE);
  });
});

describe('receivers that fall short', () => {
  const secret = newWebhookSecret();

  it("a receiver that skips verification fails every refusal, and is warned about production's signature", async () => {
    const run = await judge(() => true, secret);
    expect(failedIds(run)).toEqual(REFUSALS);
    expect(warnedIds(run)).toEqual(['RECEIVER-INSTALEAP-SIGNATURE-WRONG']);
    expect(run.checks.filter((c) => c.category === 'deliveries').every((c) => c.status === 'passed')).toBe(true);
    expect(run.summary.failed).toBe(REFUSALS.length);
  });

  it('a receiver that checks only InstaLeap-Signature, which does not cover the body, accepts a changed body and a forged webhook-signature', async () => {
    const verifyInstaLeapOnly = loadVerify(`
      const { createHmac } = require('node:crypto');
      function verify(rawBody, headers, secret) {
        const event = JSON.parse(rawBody);
        const expected = createHmac('sha256', secret).update(event.id + '&' + event.created_at + '&' + event.type).digest('hex');
        if (headers['instaleap-signature'] !== expected) throw new Error('bad InstaLeap-Signature');
        return event;
      }`);
    const run = await judge((r) => Boolean(verifyInstaLeapOnly(r.body, r.headers, secret)), secret);
    expect(statuses(run)).toMatchObject({
      'RECEIVER-REFUSE-CHANGED-BODY': 'failed',
      'RECEIVER-REFUSE-OTHER-SECRET': 'failed',
      'RECEIVER-REFUSE-MISSING-HEADERS': 'failed',
      'RECEIVER-REFUSE-OLD-TIMESTAMP': 'failed',
      'RECEIVER-INSTALEAP-SIGNATURE-WRONG': 'passed',
      'RECEIVER-VALID-CREATED': 'passed',
    });
    const otherSecret = run.checks.find((c) => c.id === 'RECEIVER-REFUSE-OTHER-SECRET')!;
    // Both signatures forged is refused; webhook-signature alone forged is not.
    expect(otherSecret.failures).toHaveLength(1);
    expect(otherSecret.failures[0].message).toMatch(/webhook-signature was made with another secret/);
  });

  it('a receiver that checks only the Standard Webhooks signature passes, with a warning shown by every reporter', async () => {
    const run = await judge((r) => Boolean(new Webhook(secret).verify(r.body, r.headers)), secret);
    expect([failedIds(run), warnedIds(run)]).toEqual([[], ['RECEIVER-INSTALEAP-SIGNATURE-WRONG']]);
    const warned = run.checks.find((c) => c.id === 'RECEIVER-INSTALEAP-SIGNATURE-WRONG')!;
    expect(warned.status).toBe('passed');
    const line = formatCheckLine(warned);
    expect(line).toMatch(/^WARN RECEIVER-INSTALEAP-SIGNATURE-WRONG .*\n {5}warning: the receiver acknowledged \(204\)/);
    expect(line).toContain(`reproduce: curl -sS -i -X POST '${warned.exchanges[0].request.url}'`);
    expect(formatClosing(run).split('\n').pop()).toBe(
      `${receiverChecks.length} passed, 0 failed, 0 skipped, 1 with warnings`,
    );
    expect(renderJunit(run)).toMatch(/<system-out>warning: the receiver acknowledged/);
    expect(renderHtml(run)).toContain('Warning: the receiver acknowledged');
  });

  it("a receiver that never answers one event type fails that type's delivery with the timeout, and only that", async () => {
    const verified = (r: HookRequest) => new Webhook(secret).verify(r.body, r.headers) as { type: string };
    const run = await judge((r) => (verified(r).type === 'PICKING_STARTED' ? 'never-answer' : true), secret, 300);
    expect(failedIds(run)).toEqual(['RECEIVER-VALID-PICKING-STARTED']);
    const slow = run.checks.find((c) => c.id === 'RECEIVER-VALID-PICKING-STARTED')!;
    expect(slow.failures[0].message).toMatch(/^no answer within 300 ms to a valid PICKING_STARTED delivery/);
  });

  it('refuses to run against a URL where nothing listens, naming why', async () => {
    const target = await receiver(() => true);
    await target.close();
    await expect(runReceiverConformance({ url: target.url, secret })).rejects.toThrow(
      /cannot reach http:\/\/127\.0\.0\.1:\d+\/webhooks: ECONNREFUSED/,
    );
  });

  it('refuses a secret the contract does not accept before sending anything', async () => {
    await expect(
      runReceiverConformance({ url: 'http://127.0.0.1:1/webhooks', secret: 'not a secret!' }),
    ).rejects.toThrow(/--secret: not a webhook secret/);
  });
});

describe('what every delivery carries', () => {
  const secret = newWebhookSecret();

  it('each result repeats its exact request as curl, and every job id and event id is under the conformance- prefix', async () => {
    const run = await judge(() => true, secret);
    const exchanges = run.checks.flatMap((c) => c.exchanges);
    expect(exchanges.length).toBeGreaterThan(run.checks.length);
    for (const exchange of exchanges) {
      const body = JSON.parse(exchange.request.body!) as { id: string; job: { id: string; client_reference: string } };
      expect([
        body.job.id.startsWith(CONFORMANCE_PREFIX),
        body.job.client_reference,
        body.id.startsWith(`evt_${CONFORMANCE_PREFIX}`),
      ]).toEqual([true, body.job.id, true]);
      expect(exchange.curl).toContain(`--data-binary '${exchange.request.body!.replace(/'/g, `'\\''`)}'`);
      for (const [name, value] of Object.entries(exchange.request.headers))
        expect(exchange.curl).toContain(
          value === '' ? `-H '${name};'` : `-H '${name}: ${value.replace(/'/g, `'\\''`)}'`,
        );
    }
    expect(run.notices?.[0]).toMatch(/job id starting conformance-[0-9a-f]{8}-/);
  });

  it('the story holds one valid event of every type in the spec, in an order a job could produce, each valid against its webhook schema', () => {
    const story = new EventFactory().story();
    expect([...new Set(story.map((e) => e.type))].sort()).toEqual([...webhookEventTypes].sort());
    for (const event of story) expect(() => assertValidEvent(event)).not.toThrow();
    const perJob = new Map<string, string[]>();
    for (const event of story) perJob.set(event.job.id, [...(perJob.get(event.job.id) ?? []), event.type]);
    for (const types of perJob.values()) {
      expect(types[0]).toBe('CREATED');
      // Nothing follows a final state.
      expect(types.slice(0, -1).filter((t) => t === 'CANCELLED' || t === 'CLIENT_RECEIVED')).toEqual([]);
    }
    // Each event's job history ends with the event itself.
    for (const event of story)
      expect(event.job.history[event.job.history.length - 1]).toEqual({ type: event.type, at: event.created_at });
  });

  it('an event the spec would refuse is caught before it is sent', () => {
    const factory = new EventFactory();
    const { event } = factory.event('CREATED', factory.newJob('broken'));
    expect(() => assertValidEvent({ ...event, job: { ...event.job, state: 'LOST' as never } })).toThrow(
      /not valid against its webhook schema/,
    );
  });
});
