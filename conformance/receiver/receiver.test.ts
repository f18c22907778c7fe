import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { spec } from '../../spec/contract';
import {
  instaLeapSignature,
  newWebhookSecret,
  verifyInstaLeapSignature,
  verifyStandardSignature,
  WebhookReceiver,
} from './receiver';

const event = () => structuredClone(spec.components.examples.WebhookEvent.value);

function signed(secret: string, payload: unknown, at = new Date()) {
  const body = JSON.stringify(payload);
  const p = payload as { id: string; created_at: string; type: string };
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': p.id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(p.id, at, body),
      'instaleap-signature': instaLeapSignature(secret, p),
    } as Record<string, string>,
  };
}

describe('signature verification', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

  it('computes the production signature as hex HMAC-SHA256 of id&created_at&type keyed with the whole secret string', () => {
    const expected = createHmac('sha256', secret).update('evt_0f4c2a9e8b7d&2026-11-27T15:03:00Z&CREATED').digest('hex');
    expect(instaLeapSignature(secret, event())).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });
  it('accepts both signatures of a correctly signed delivery', () => {
    const { body, headers } = signed(secret, event());
    expect(verifyStandardSignature(secret, headers, body)).toEqual({ ok: true });
    expect(verifyInstaLeapSignature(secret, headers, JSON.parse(body))).toEqual({ ok: true });
  });
  it('refuses a body changed after signing (Standard Webhooks covers the body)', () => {
    const { body, headers } = signed(secret, event());
    expect(verifyStandardSignature(secret, headers, body.replace('4827', '0000')).ok).toBe(false);
  });
  it('refuses another secret, an uppercase or missing production signature, and a stale timestamp', () => {
    const { body, headers } = signed(secret, event());
    const other = newWebhookSecret();
    expect(verifyStandardSignature(other, headers, body).ok).toBe(false);
    expect(verifyInstaLeapSignature(other, headers, JSON.parse(body)).ok).toBe(false);
    expect(
      verifyInstaLeapSignature(
        secret,
        { ...headers, 'instaleap-signature': headers['instaleap-signature'].toUpperCase() },
        JSON.parse(body),
      ).ok,
    ).toBe(false);
    expect(verifyInstaLeapSignature(secret, {}, JSON.parse(body))).toEqual({
      ok: false,
      error: 'InstaLeap-Signature header missing',
    });
    const stale = signed(secret, event(), new Date(Date.now() - 3600_000));
    expect(verifyStandardSignature(secret, stale.headers, stale.body).ok).toBe(false);
  });
  it('does not throw on hostile headers or payloads', () => {
    expect(
      verifyStandardSignature(
        secret,
        { 'webhook-id': 'x', 'webhook-timestamp': 'soon', 'webhook-signature': 'v1,@@@' },
        '',
      ).ok,
    ).toBe(false);
    expect(verifyInstaLeapSignature(secret, { 'instaleap-signature': 'a'.repeat(64) }, 'not an object').ok).toBe(false);
    expect(verifyInstaLeapSignature(secret, { 'instaleap-signature': 'short' }, event()).ok).toBe(false);
  });
});

describe('the receiver', () => {
  const receiver = new WebhookReceiver();
  beforeAll(() => receiver.start({ host: '127.0.0.1', port: 0 }));
  afterAll(() => receiver.close());

  it('records deliveries per inbox, answers as told, and wakes waiters', async () => {
    const inbox = receiver.openInbox();
    const other = receiver.openInbox();
    inbox.answerNext(500);
    const arrived = inbox.waitFor((ds) => ds.length === 2, 2000);
    const { body, headers } = signed(inbox.secret, event());
    const first = await fetch(inbox.url, { method: 'POST', headers, body });
    const second = await fetch(inbox.url, { method: 'POST', headers, body });
    expect([first.status, second.status]).toEqual([500, 200]);
    expect(await arrived).toBe(true);
    expect(
      inbox.deliveries.map((d) => [d.answeredStatus, d.standardSignature.ok, d.instaLeapSignature.ok, d.json?.id]),
    ).toEqual([
      [500, true, true, 'evt_0f4c2a9e8b7d'],
      [200, true, true, 'evt_0f4c2a9e8b7d'],
    ]);
    expect(other.deliveries).toEqual([]);
  });
  it('records a non-JSON delivery as unverifiable and a stray path as 404', async () => {
    const inbox = receiver.openInbox();
    await fetch(inbox.url, { method: 'POST', body: 'not json', headers: { 'content-type': 'text/plain' } });
    expect(inbox.deliveries[0].instaLeapSignature.ok).toBe(false);
    expect(inbox.deliveries[0].json).toBeUndefined();
    expect((await fetch(`${receiver.url}/hooks/unknown`, { method: 'POST', body: '{}' })).status).toBe(404);
  });
  it('gives up waiting after the timeout', async () => {
    expect(await receiver.openInbox().waitFor((ds) => ds.length > 0, 20)).toBe(false);
  });
});
