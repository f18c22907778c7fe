/**
 * What tests do all the time on one tenant, over the public HTTP API only (the typed client):
 * move or freeze its clock, drive a job to a state, register a webhook endpoint, reset.
 * Works against any sandbox: one started in-process, a child process, or a hosted one.
 */
import { createClient, type JobsClient, type Schemas } from '../client';

export type JobState = Schemas['JobState'];
export type Clock = Schemas['Clock'];
export type Job = Schemas['Job'];
/** An endpoint as registered: with its signing secret, which is shown only this once. */
export type WebhookEndpoint = Schemas['WebhookEndpointWithSecret'];

/** A refusal of a helper's call: the HTTP status and the error code of the answer. */
export class SandboxError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly code: string | undefined,
    readonly body: unknown,
  ) {
    super(`${operation}: ${status}${code ? ` ${code}` : ''}${messageOf(body)}`);
    this.name = 'SandboxError';
  }
}

function messageOf(body: unknown): string {
  const message = (body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? `: ${message}` : '';
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

function settled<T>(operation: string, answer: Answer<T>): T {
  if (answer.error !== undefined || answer.data === undefined) {
    const code = (answer.error as { code?: unknown } | undefined)?.code;
    throw new SandboxError(
      operation,
      answer.response.status,
      typeof code === 'string' ? code : undefined,
      answer.error,
    );
  }
  return answer.data;
}

export interface DriveOptions {
  /** The last step to reach; one step when absent. */
  to?: Schemas['AdvanceJobRequest']['to'];
  /**
   * The code for the step to CLIENT_RECEIVED. When absent and that step is reached, the
   * job's own code is read and used (a test that wants a wrong code passes one).
   */
  deliveryCode?: string;
}

export class Tenant {
  /** The typed client on this tenant's key, for every operation of the API. */
  readonly client: JobsClient;

  constructor(
    readonly baseUrl: string,
    readonly apiKey: string,
  ) {
    this.client = createClient({ baseUrl, apiKey });
  }

  async clock(): Promise<Clock> {
    return settled('getClock', await this.client.GET('/sandbox/clock'));
  }

  /** Moves this tenant's clock forward; held slots expire and due webhook retries go out. */
  async advanceClock(seconds: number): Promise<Clock> {
    return settled('advanceClock', await this.client.POST('/sandbox/clock/advance', { body: { seconds } }));
  }

  /** Stops this tenant's clock: from now on it moves only by advanceClock. */
  async freezeClock(): Promise<Clock> {
    return settled('freezeClock', await this.client.POST('/sandbox/clock/freeze'));
  }

  async unfreezeClock(): Promise<Clock> {
    return settled('unfreezeClock', await this.client.POST('/sandbox/clock/unfreeze'));
  }

  /** Plays the driver: moves the job one step, or through every step up to `to`. */
  async driveJob(jobId: string, options: DriveOptions = {}): Promise<Job> {
    let deliveryCode = options.deliveryCode;
    if (deliveryCode === undefined && (options.to === undefined || options.to === 'CLIENT_RECEIVED')) {
      const job = settled('getJob', await this.client.GET('/jobs/{job_id}', { params: { path: { job_id: jobId } } }));
      deliveryCode = job.delivery_code ?? undefined;
    }
    const body: Schemas['AdvanceJobRequest'] = {};
    if (options.to !== undefined) body.to = options.to;
    if (deliveryCode !== undefined) body.delivery_code = deliveryCode;
    return settled(
      'advanceJob',
      await this.client.POST('/sandbox/jobs/{job_id}/advance', { params: { path: { job_id: jobId } }, body }),
    );
  }

  /** Every job event of this tenant is then POSTed to `url`, signed with the endpoint's secret. */
  async addWebhookEndpoint(endpoint: Schemas['CreateWebhookEndpointRequest']): Promise<WebhookEndpoint> {
    return settled('createWebhookEndpoint', await this.client.POST('/sandbox/webhook-endpoints', { body: endpoint }));
  }

  /** Wipes this tenant only: jobs, slots, webhook endpoints and deliveries, the clock. */
  async reset(): Promise<void> {
    settled('resetTenant', await this.client.POST('/sandbox/reset'));
  }
}
