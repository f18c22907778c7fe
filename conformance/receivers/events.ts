/**
 * The events `conform-receiver` delivers: one of every type the spec's `webhooks:` section
 * lists, told as the lives of two jobs (one through its lifecycle, one through the
 * out-of-band events until it is cancelled), each payload valid against its webhook's
 * schema. Every job id, client reference and event id starts with `conformance-`, so that
 * a receiver with side effects can recognise them, and none reuses the spec example's
 * references, which could name a real order.
 */
import { randomBytes } from 'node:crypto';
import {
  escapePointer,
  example,
  spec,
  JOB_STATES,
  LIFECYCLE,
  validatorAt,
  webhookEventTypes,
  type Schemas,
  type WebhookOperationId,
} from '../../spec/contract';

export const CONFORMANCE_PREFIX = 'conformance-';

/** A type no version of the contract will send: a receiver must still acknowledge it. */
export const UNKNOWN_EVENT_TYPE = 'CONFORMANCE_UNKNOWN_EVENT';

/**
 * An event as a delivery carries it. `type` is a string: the forward-compatibility
 * delivery carries a type the spec does not list.
 */
export type DeliveredEvent = Omit<Schemas['WebhookEvent'], 'type'> & { type: string };

/** The pointer of the schema of a webhook's body, as the spec's `webhooks:` section declares it. */
export function webhookSchemaPointer(type: string): string {
  return `#/webhooks/${escapePointer(type)}/post/requestBody/content/application~1json/schema`;
}

/** The operationId the spec gives the webhook of a type (`onCreated`), for the reports; `onUnknownEventType` for a type it does not list. */
export function webhookOperationId(type: string): WebhookOperationId {
  return (spec.webhooks?.[type]?.post?.operationId as WebhookOperationId | undefined) ?? 'onUnknownEventType';
}

/** Throws unless the event is valid against the schema the spec declares for its type. */
export function assertValidEvent(event: DeliveredEvent): void {
  const { type } = event;
  const validate = validatorAt(webhookSchemaPointer(type));
  if (!validate(event))
    throw new Error(
      `the ${type} event built for the receiver is not valid against its webhook schema: ${JSON.stringify(validate.errors)}`,
    );
}

/** Builds the run's events: ids under one run id, times increasing one second apart and ending now. */
export class EventFactory {
  readonly runId = randomBytes(4).toString('hex');
  private events = 0;
  private jobs = 0;
  private clockMs: number;

  constructor(
    private readonly clientId = 'acct_conformance',
    nowMs = Date.now(),
  ) {
    // Every event of a run is in the past when sent: the story ends at the run's start.
    this.clockMs = nowMs - 1000 * (webhookEventTypes.length + 64);
  }

  private tick(): string {
    // Never ahead of real time: a receiver may refuse an event from the future.
    this.clockMs = Math.min(this.clockMs + 1000, Date.now());
    return new Date(this.clockMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  /** A new job, as it is right after its CREATED event (the spec's example, under conformance- references). */
  newJob(label: string): Schemas['Job'] {
    this.jobs += 1;
    const id = `${CONFORMANCE_PREFIX}${this.runId}-${this.jobs}-${label}`;
    const at = this.tick();
    return {
      ...example('WebhookEvent').job,
      id,
      client_reference: id,
      external_data: { webhook: { conformance_run: this.runId } },
      state: 'CREATED',
      history: [{ type: 'CREATED', at }],
      created_at: at,
      updated_at: at,
    };
  }

  /** The event of `type` for the job as it is after it, and that job. */
  event(type: string, job: Schemas['Job']): { event: DeliveredEvent; job: Schemas['Job'] } {
    this.events += 1;
    const at = type === 'CREATED' ? job.created_at : this.tick();
    let after: Schemas['Job'] = job;
    if (type !== 'CREATED') {
      after = { ...job, history: [...job.history, ...(isEventType(type) ? [{ type, at }] : [])], updated_at: at };
      if ((JOB_STATES as readonly string[]).includes(type)) after.state = type as Schemas['JobState'];
      if (type === 'CANCELLED') after.cancellation_reason = 'conformance run';
      if (type === 'JOB_COMMENT_UPDATED') after.job_comment = 'conformance run: leave at the door';
    }
    const event: DeliveredEvent = {
      id: `evt_${CONFORMANCE_PREFIX}${this.runId}-${this.events}`,
      type,
      created_at: at,
      client_id: this.clientId,
      job: after,
    };
    // An unknown type is the one thing outside the schema: everything else must be valid.
    assertValidEvent(isEventType(type) ? event : { ...event, type: 'CREATED' });
    return { event, job: after };
  }

  /**
   * One event of every type in the spec, in an order a real job could produce: the
   * lifecycle on one job; the other types on a second job, with a final state last.
   */
  story(): DeliveredEvent[] {
    let onLifecycle = this.newJob('lifecycle');
    let outOfBand = this.newJob('out-of-band');
    const { lifecycle, others } = storyOrder();
    const events: DeliveredEvent[] = [];
    for (const type of lifecycle) {
      const made = this.event(type, onLifecycle);
      onLifecycle = made.job;
      events.push(made.event);
      if (type === 'CREATED') events.push(this.event('CREATED', outOfBand).event);
    }
    for (const type of others) {
      const made = this.event(type, outOfBand);
      outOfBand = made.job;
      events.push(made.event);
    }
    return events;
  }
}

/**
 * The spec's event types in the order the story sends them: the lifecycle, then the
 * others, a type that is also a final job state (CANCELLED) last, since it ends the job.
 */
export function storyOrder(): { lifecycle: string[]; others: string[] } {
  const lifecycle = webhookEventTypes.filter((t) => (LIFECYCLE as readonly string[]).includes(t));
  const isState = (t: string) => Number((JOB_STATES as readonly string[]).includes(t));
  const others = webhookEventTypes.filter((t) => !lifecycle.includes(t)).sort((a, b) => isState(a) - isState(b));
  return { lifecycle, others };
}

function isEventType(type: string): type is Schemas['EventType'] {
  return webhookEventTypes.includes(type);
}
