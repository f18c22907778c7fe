/**
 * What a receiver check works with: the run's events, the secret, and `send`, which POSTs a
 * delivery, records the exchange (with the curl that repeats it) and judges the answer as
 * the sandbox does: a 2xx within the timeout acknowledges, anything else does not.
 */
import { curlCommand } from '../../client/curl';
import type { Exchange } from '../../client/exchange';
import type { Failure } from '../checks/failure';
import { sendDelivery, signedDelivery, type AttemptOutcome, type Delivery } from './deliveries';
import { webhookOperationId, type DeliveredEvent, type EventFactory } from './events';

export interface SentDelivery extends AttemptOutcome {
  exchange: Exchange;
  /** A 2xx came back within the timeout. */
  acknowledged: boolean;
}

export interface ReceiverContextConfig {
  url: string;
  secret: string;
  /** A secret the receiver does not know: signatures made with it must be refused. */
  otherSecret: string;
  timeoutMs: number;
  events: EventFactory;
  /** One event of every type in the spec, in the order the valid deliveries send them. */
  story: readonly DeliveredEvent[];
}

function answered(sent: AttemptOutcome): unknown {
  if (!sent.response) return `no answer (${sent.error ?? 'unknown'})`;
  return { status: sent.response.status, body: sent.response.json ?? sent.response.body };
}

export class ReceiverContext {
  readonly exchanges: Exchange[] = [];
  readonly failures: Failure[] = [];
  readonly warnings: Failure[] = [];
  /** Deliveries that got no HTTP answer at all (refused, unresolvable; not a timeout). */
  readonly connectionErrors: string[] = [];
  readonly url: string;
  readonly secret: string;
  readonly otherSecret: string;
  readonly timeoutMs: number;
  readonly events: EventFactory;
  readonly story: readonly DeliveredEvent[];

  constructor(config: ReceiverContextConfig) {
    ({
      url: this.url,
      secret: this.secret,
      otherSecret: this.otherSecret,
      timeoutMs: this.timeoutMs,
      events: this.events,
      story: this.story,
    } = config);
  }

  /** A delivery of `event` signed now with the receiver's secret, as the sandbox sends it. */
  signed(event: DeliveredEvent, at = new Date()): Delivery {
    return signedDelivery(event, this.secret, at);
  }

  /** A CREATED event of a new job of its own, for a delivery that must be refused or stands alone. */
  freshEvent(label: string, type = 'CREATED'): DeliveredEvent {
    return this.events.event(type, this.events.newJob(label)).event;
  }

  async send(delivery: Delivery): Promise<SentDelivery> {
    const outcome = await sendDelivery(this.url, delivery, this.timeoutMs);
    const request = { method: 'POST', url: this.url, headers: delivery.headers, body: delivery.body };
    const exchange: Exchange = {
      operationId: webhookOperationId(delivery.event.type),
      request,
      ...(outcome.response ? { response: outcome.response } : {}),
      ...(outcome.error ? { error: outcome.error } : {}),
      durationMs: outcome.durationMs,
      curl: curlCommand(request),
      violations: [],
    };
    this.exchanges.push(exchange);
    if (!outcome.response && !outcome.timedOut) this.connectionErrors.push(outcome.error ?? 'no answer');
    const status = outcome.response?.status;
    return { ...outcome, exchange, acknowledged: status !== undefined && status >= 200 && status < 300 };
  }

  /** Records a failure unless the delivery was acknowledged; `what` names the delivery. */
  expectAcknowledged(sent: SentDelivery, what: string): void {
    if (sent.acknowledged) return;
    const why = sent.timedOut
      ? `no answer within ${this.timeoutMs} ms to ${what}: the sandbox gives up on an attempt after its timeout and retries it`
      : sent.response
        ? `the receiver answered ${sent.response.status} to ${what}; it must acknowledge it with a 2xx, or the sandbox retries it and then dead-letters it`
        : `no answer to ${what} (${sent.error ?? 'unknown'})`;
    this.failures.push({
      message: why,
      expected: `a 2xx within ${this.timeoutMs} ms`,
      received: answered(sent),
      exchange: sent.exchange,
    });
  }

  /** Records a failure unless the delivery got a non-2xx answer; `what` names what is wrong with it. */
  expectRefused(sent: SentDelivery, what: string): void {
    if (sent.response && !sent.acknowledged) return;
    const why = sent.response
      ? `the receiver acknowledged (${sent.response.status}) ${what}; it must refuse it with a non-2xx status`
      : `no answer to ${what} (${sent.error ?? 'unknown'}); it must be refused with a non-2xx status`;
    this.failures.push({
      message: why,
      expected: 'a non-2xx status',
      received: answered(sent),
      exchange: sent.exchange,
    });
  }

  /** Something to know that is not a failure: the check still passes. */
  warn(sent: SentDelivery, message: string): void {
    this.warnings.push({ message, received: answered(sent), exchange: sent.exchange });
  }
}
