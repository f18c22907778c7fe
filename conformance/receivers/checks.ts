/**
 * The checks of `lastmile conform-receiver`, each a small declarative object, run in this
 * order against one receiver: the valid deliveries first (the lives of two jobs, in order),
 * then redelivery, refusals, rotation, forward compatibility and production's signature.
 */
import { instaLeapSignature } from '../../spec/contract';
import { newWebhookSecret } from '../receiver/receiver';
import { signatureWith, signedDelivery, STALE_SECONDS, withChangedBody, withHeaders } from './deliveries';
import type { ReceiverContext } from './context';
import { storyOrder, UNKNOWN_EVENT_TYPE } from './events';

export interface ReceiverCheck {
  /** Stable id, upper-case words joined by dashes. */
  id: string;
  title: string;
  category: string;
  /** True when the receiver must refuse what the check sends. */
  negative?: boolean;
  run(ctx: ReceiverContext): Promise<void>;
}

const dashed = (type: string) => type.replace(/_/g, '-');

/** One check per event type in the spec, in the story's order: its delivery (two for CREATED, one per job) must be acknowledged. */
const { lifecycle, others } = storyOrder();
const validDeliveries: ReceiverCheck[] = [...lifecycle, ...others].map((type) => ({
  id: `RECEIVER-VALID-${dashed(type)}`,
  title: `A valid ${type} delivery, signed as the sandbox signs it, is acknowledged with a 2xx within the timeout`,
  category: 'deliveries',
  async run(ctx) {
    for (const event of ctx.story.filter((e) => e.type === type)) {
      ctx.expectAcknowledged(await ctx.send(ctx.signed(event)), `a valid ${type} delivery of job ${event.job.id}`);
    }
  },
}));

const TIMESTAMP_WORDS = `more than 5 minutes (${STALE_SECONDS} s)`;

export const receiverChecks: readonly ReceiverCheck[] = [
  ...validDeliveries,
  {
    id: 'RECEIVER-REDELIVERY-SAME-ID',
    title:
      'The first delivery sent again, with the same webhook-id and a new timestamp and signature (a retry), is acknowledged again',
    category: 'deliveries',
    async run(ctx) {
      const first = ctx.story[0];
      ctx.expectAcknowledged(
        await ctx.send(ctx.signed(first)),
        `a redelivery of ${first.type} with the webhook-id already acknowledged (${first.id}); deduplicate on webhook-id and answer 2xx`,
      );
    },
  },
  {
    id: 'RECEIVER-REFUSE-CHANGED-BODY',
    title: 'A delivery whose body was changed after it was signed is refused',
    category: 'refusals',
    negative: true,
    async run(ctx) {
      const delivery = withChangedBody(ctx.signed(ctx.freshEvent('changed-body')));
      ctx.expectRefused(
        await ctx.send(delivery),
        'a delivery whose body was changed after signing (order_value raised; webhook-signature covers the body, InstaLeap-Signature does not)',
      );
    },
  },
  {
    id: 'RECEIVER-REFUSE-OTHER-SECRET',
    title: 'A delivery signed with another secret is refused: both signatures, or webhook-signature alone',
    category: 'refusals',
    negative: true,
    async run(ctx) {
      ctx.expectRefused(
        await ctx.send(signedDelivery(ctx.freshEvent('other-secret'), ctx.otherSecret)),
        'a delivery whose signatures were both made with another secret',
      );
      const standardOnly = ctx.signed(ctx.freshEvent('other-secret-webhook-signature'));
      ctx.expectRefused(
        await ctx.send(
          withHeaders(standardOnly, { 'webhook-signature': signatureWith(ctx.otherSecret, standardOnly) }),
        ),
        'a delivery whose webhook-signature was made with another secret (its InstaLeap-Signature is right, but it does not cover the body)',
      );
    },
  },
  {
    id: 'RECEIVER-REFUSE-MISSING-HEADERS',
    title:
      'A delivery without webhook-id, webhook-timestamp or webhook-signature (each alone, then all three) is refused',
    category: 'refusals',
    negative: true,
    async run(ctx) {
      const names = ['webhook-id', 'webhook-timestamp', 'webhook-signature'];
      for (const missing of [...names.map((n) => [n]), names]) {
        const delivery = ctx.signed(ctx.freshEvent(`missing-${missing.length === 1 ? missing[0] : 'all'}`));
        ctx.expectRefused(
          await ctx.send(withHeaders(delivery, Object.fromEntries(missing.map((n) => [n, undefined])))),
          `a delivery without ${missing.join(', ')}`,
        );
      }
    },
  },
  {
    id: 'RECEIVER-REFUSE-OLD-TIMESTAMP',
    title: `A delivery correctly signed with a webhook-timestamp ${TIMESTAMP_WORDS} in the past (a replay) is refused`,
    category: 'refusals',
    negative: true,
    async run(ctx) {
      const at = new Date(Date.now() - STALE_SECONDS * 1000);
      ctx.expectRefused(
        await ctx.send(ctx.signed(ctx.freshEvent('old-timestamp'), at)),
        `a delivery signed with a webhook-timestamp ${STALE_SECONDS} s old`,
      );
    },
  },
  {
    id: 'RECEIVER-REFUSE-FUTURE-TIMESTAMP',
    title: `A delivery correctly signed with a webhook-timestamp ${TIMESTAMP_WORDS} in the future is refused`,
    category: 'refusals',
    negative: true,
    async run(ctx) {
      const at = new Date(Date.now() + STALE_SECONDS * 1000);
      ctx.expectRefused(
        await ctx.send(ctx.signed(ctx.freshEvent('future-timestamp'), at)),
        `a delivery signed with a webhook-timestamp ${STALE_SECONDS} s in the future`,
      );
    },
  },
  {
    id: 'RECEIVER-REFUSE-MALFORMED-SIGNATURE',
    title:
      'A delivery whose webhook-signature is malformed (not base64, no version, an unknown version, empty) is refused',
    category: 'refusals',
    negative: true,
    async run(ctx) {
      const variants: Array<[string, (valid: string) => string]> = [
        ['a signature that is not base64', () => 'v1,!!not*base64!!'],
        ['a signature without its version', (valid) => valid.slice('v1,'.length)],
        ['the right signature under an unknown version (v2)', (valid) => `v2,${valid.slice('v1,'.length)}`],
        ['an empty webhook-signature', () => ''],
      ];
      for (const [label, malformed] of variants) {
        const delivery = ctx.signed(ctx.freshEvent('malformed-signature'));
        ctx.expectRefused(
          await ctx.send(
            withHeaders(delivery, { 'webhook-signature': malformed(delivery.headers['webhook-signature']) }),
          ),
          `a delivery with ${label}`,
        );
      }
    },
  },
  {
    id: 'RECEIVER-ROTATION-ONE-VALID',
    title:
      'A webhook-signature carrying several signatures, the valid one last (a secret being rotated), is acknowledged',
    category: 'rotation',
    async run(ctx) {
      const delivery = ctx.signed(ctx.freshEvent('rotation'));
      const others = [signatureWith(ctx.otherSecret, delivery), signatureWith(newWebhookSecret(), delivery)];
      ctx.expectAcknowledged(
        await ctx.send(
          withHeaders(delivery, { 'webhook-signature': [...others, delivery.headers['webhook-signature']].join(' ') }),
        ),
        'a delivery whose webhook-signature lists three space-separated signatures, only the last made with the secret (Standard Webhooks: any one valid signature verifies)',
      );
    },
  },
  {
    id: 'RECEIVER-UNKNOWN-EVENT-TYPE',
    title: `A valid delivery of an event type the receiver cannot know (${UNKNOWN_EVENT_TYPE}) is acknowledged: the contract may add event types`,
    category: 'forward-compatibility',
    async run(ctx) {
      const event = ctx.freshEvent('unknown-type', UNKNOWN_EVENT_TYPE);
      ctx.expectAcknowledged(
        await ctx.send(ctx.signed(event)),
        `a valid delivery of the unknown event type ${UNKNOWN_EVENT_TYPE} (receivers must accept event types they do not know, and may ignore them)`,
      );
    },
  },
  {
    id: 'RECEIVER-INSTALEAP-SIGNATURE-WRONG',
    title:
      'A delivery whose InstaLeap-Signature is wrong while webhook-signature is right is refused (a warning, not a failure, when it is acknowledged)',
    category: 'production-signature',
    negative: true,
    async run(ctx) {
      const delivery = ctx.signed(ctx.freshEvent('instaleap-signature-wrong'));
      const sent = await ctx.send(
        withHeaders(delivery, { 'InstaLeap-Signature': instaLeapSignature(ctx.otherSecret, delivery.event) }),
      );
      if (sent.acknowledged) {
        ctx.warn(
          sent,
          `the receiver acknowledged (${sent.response?.status}) a delivery whose InstaLeap-Signature was made with another secret: it does not check production's signature. ` +
            'That is enough against the sandbox, whose webhook-signature covers the body; check InstaLeap-Signature too if your production code relies on it.',
        );
      } else if (!sent.response) {
        ctx.expectRefused(sent, 'a delivery whose InstaLeap-Signature was made with another secret');
      }
    },
  },
];
