/**
 * An integrator's checkout service, as small as it gets: it offers delivery slots, books the
 * delivery on the slot the customer picked, and takes the delivery engine's webhooks, refusing
 * any whose signature does not verify. It only knows a base URL and an API key, so the same code
 * talks to the sandbox in tests and to production.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { createClient, type Schemas } from 'lastmile-kit/client';

export type Order = Omit<Schemas['CreateJobRequest'], 'slot_id'>;

/** The slot's hold ran out before the order was placed: offer slots again. */
export class SlotExpired extends Error {}

export function createCheckout(options: { baseUrl: string; apiKey: string }) {
  const api = createClient(options);
  return {
    async offerSlots(request: Schemas['AvailabilityRequest']): Promise<Schemas['Slot'][]> {
      const { data, error, response } = await api.POST('/jobs/availability/v2', { body: request });
      if (!data) throw new Error(`availability refused: ${response.status} ${error?.code}`);
      return data;
    },
    /**
     * Books the delivery. A 5xx may come after the job was made, so the one retry carries the
     * same Idempotency-Key: the engine then replays its first answer instead of booking twice.
     */
    async placeOrder(slotId: string, order: Order): Promise<string> {
      const key = `order-${order.client_reference}-${slotId.slice(-12)}`;
      const create = () =>
        api.POST('/jobs', { body: { ...order, slot_id: slotId }, params: { header: { 'Idempotency-Key': key } } });
      let { data, error, response } = await create();
      if (response.status >= 500) ({ data, error, response } = await create());
      if (response.status === 417) throw new SlotExpired(`slot ${slotId} expired; ask availability again`);
      if (!data) throw new Error(`delivery refused: ${response.status} ${error?.code}`);
      return data.job_id;
    },
  };
}

export type DeliveryEvent = Schemas['WebhookEvent'];

/** An HTTP endpoint for the webhooks: verified events go to onEvent, anything else gets 401. */
export async function startWebhookReceiver(secret: string, onEvent: (event: DeliveryEvent) => void) {
  const webhook = new Webhook(secret);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req
      .on('data', (chunk: Buffer) => chunks.push(chunk))
      .on('end', () => {
        try {
          onEvent(
            webhook.verify(
              Buffer.concat(chunks).toString('utf8'),
              req.headers as Record<string, string>,
            ) as DeliveryEvent,
          );
          res.writeHead(204).end();
        } catch {
          res.writeHead(401).end();
        }
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
