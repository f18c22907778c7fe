/**
 * How a webhook delivery is written and signed: its body, production's `InstaLeap-Signature`
 * and the Standard Webhooks headers of each attempt. The sandbox sends its deliveries with
 * these functions and the kit's `conform-receiver` builds its own with them, so that both
 * sign byte for byte alike.
 */
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** The `user-agent` of every delivery. */
export const WEBHOOK_USER_AGENT = 'lastmile-sandbox-webhooks/1';

/** What production's signature covers: the event's id, time and type, not its body. */
export interface InstaLeapSigned {
  id: string;
  created_at: string;
  type: string;
}

/** What the Standard Webhooks signature needs of a delivery. */
export interface SignableDelivery {
  /** `webhook-id`: the event's id, the same on every attempt. */
  eventId: string;
  /** The exact body sent, as signed. */
  payloadText: string;
  instaLeapSignature: string;
}

/** Signs `{id}.{timestamp}.{body}`; a `Webhook` of the `standardwebhooks` library is one. */
export interface WebhookSigner {
  sign(msgId: string, timestamp: Date, payload: string): string;
}

/** The body of a delivery: the event as JSON, written once and sent as is on every attempt. */
export function webhookPayloadText(event: InstaLeapSigned & object): string {
  return JSON.stringify(event);
}

/** Production's scheme: lowercase hex HMAC-SHA256, keyed with the secret string as given, over `{id}&{created_at}&{type}`. */
export function instaLeapSignature(secret: string, event: InstaLeapSigned): string {
  return createHmac('sha256', secret).update(`${event.id}&${event.created_at}&${event.type}`).digest('hex');
}

/**
 * The Standard Webhooks signer of a secret (`whsec_` and base64, or base64 alone): `v1,` and
 * the base64 HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`.
 */
export function webhookSigner(secret: string): Webhook {
  return new Webhook(secret);
}

/** The headers of one attempt made at `at`: both signatures, the id and the attempt's own timestamp. */
export function webhookHeaders(signer: WebhookSigner, delivery: SignableDelivery, at: Date): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': WEBHOOK_USER_AGENT,
    'InstaLeap-Signature': delivery.instaLeapSignature,
    'webhook-id': delivery.eventId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signer.sign(delivery.eventId, at, delivery.payloadText),
  };
}
