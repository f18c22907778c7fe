/** The contract's signer signs as spec/openapi.yaml describes both schemes, and as the reference library verifies. */
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { instaLeapSignature, webhookHeaders, webhookPayloadText, webhookSigner } from './webhook-signing';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const EVENT = {
  id: 'evt_1',
  type: 'CREATED',
  created_at: '2026-11-27T15:03:00Z',
  client_id: 'acct_1',
  job: { id: 'j1' },
};

describe('webhook signing', () => {
  const body = webhookPayloadText(EVENT);
  const at = new Date('2026-12-07T10:00:00.750Z');
  const headers = webhookHeaders(
    webhookSigner(SECRET),
    { eventId: EVENT.id, payloadText: body, instaLeapSignature: instaLeapSignature(SECRET, EVENT) },
    at,
  );

  it('InstaLeap-Signature is hex HMAC-SHA256 keyed with the secret string over {id}&{created_at}&{type}', () => {
    const expected = createHmac('sha256', SECRET).update('evt_1&2026-11-27T15:03:00Z&CREATED').digest('hex');
    expect(headers['InstaLeap-Signature']).toBe(expected);
  });

  it('webhook-signature is v1, base64 HMAC-SHA256 keyed with the decoded secret over {id}.{timestamp}.{body}; the timestamp is whole seconds', () => {
    const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key).update(`evt_1.1796637600.${body}`).digest('base64');
    expect(headers).toMatchObject({
      'webhook-id': 'evt_1',
      'webhook-timestamp': '1796637600',
      'webhook-signature': `v1,${expected}`,
      'content-type': 'application/json',
    });
  });

  it('verifies with the Standard Webhooks reference library, and not once the body changes', () => {
    const now: Record<string, string> = { ...headers, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)) };
    now['webhook-signature'] = webhookSigner(SECRET).sign(
      EVENT.id,
      new Date(Number(now['webhook-timestamp']) * 1000),
      body,
    );
    expect(new Webhook(SECRET).verify(body, now)).toEqual(EVENT);
    expect(() => new Webhook(SECRET).verify(body.replace('j1', 'j2'), now)).toThrow();
  });
});
