/**
 * The real side of an exploration run: the tenants' keys and validating clients, what each
 * tenant's clock shows, the inboxes on the kit's receiver, and the trace of every step.
 * Webhooks are judged here against what the model expects each endpoint to have received.
 */
import { randomBytes } from 'node:crypto';
import { epochMilliseconds, operationsById, type Operation, type Schemas } from '../../spec/contract';
import type { ApiResponse, CallOptions, OperationId, RawResponse, SendOptions, StatusOf } from '../../client/api';
import { ContractClient } from '../../client/http';
import type { Inbox, ReceivedDelivery, WebhookReceiver } from '../receiver/receiver';
import type { Exchange } from '../../client/exchange';
import {
  codeValue,
  newTenant,
  unread,
  type EndpointModel,
  type Model,
  type Now,
  type ReceiverScript,
  type TenantModel,
} from './model';
import { describeScript, expectedRequests, judgeLog, logCaughtUp, scriptAnswer } from './model/receivers';
import { instant } from './instant';

export interface TraceStep {
  n: number;
  step: string;
  exchanges: Exchange[];
}

/** An answer the model did not allow: stops the run, and the sequence is shrunk. */
export class Mismatch extends Error {
  constructor(
    message: string,
    readonly expected: unknown,
    readonly received: unknown,
    readonly exchange?: Exchange,
  ) {
    super(message);
    this.name = 'Mismatch';
  }
}

export interface SessionConfig {
  baseUrl: string;
  keys: string[];
  shared: boolean;
  timeoutMs: number;
  webhookWaitMs: number;
  receiver: WebhookReceiver;
  signal?: AbortSignal;
  /** Every (operationId, status) pair seen, across runs. */
  coverage: Set<string>;
}

/** The operations a session calls itself, around the steps: setting up, reading the clock, tearing down. */
export const SESSION_OPERATIONS: readonly OperationId[] = [
  'freezeClock',
  'getClock',
  'listWebhookEndpoints',
  'createWebhookEndpoint',
  'resetTenant',
  'deleteWebhookEndpoint',
  'unfreezeClock',
];

/** Freezing the clock takes the slack out of every expiry the model judges; used once the contract has it. */
const canFreezeClock = () => operationsById.has('freezeClock') && operationsById.has('unfreezeClock');
const DRIFT_SLACK_MS = 2000;

interface ClockReading {
  serverMs: number;
  /** The reading exact, as written. */
  serverNs: bigint | undefined;
  realMs: number;
  frozen: boolean;
}

export class Session {
  readonly trace: TraceStep[] = [];
  readonly model: Model;
  readonly nonce = randomBytes(4).toString('hex');
  private readonly clients: ContractClient[];
  private readonly clocks: ClockReading[] = [];
  private readonly inboxes: Inbox[] = [];
  private current: TraceStep | undefined;

  constructor(readonly config: SessionConfig) {
    this.clients = config.keys.map(
      (apiKey) =>
        new ContractClient({
          baseUrl: config.baseUrl,
          apiKey,
          timeoutMs: config.timeoutMs,
          allowSandbox: true,
          signal: config.signal,
          onExchange: (exchange) => this.record(exchange),
        }),
    );
    this.model = { tenants: [] };
  }

  /** Reads each tenant's clock (freezing it where the contract allows) and, on a shared tenant, its endpoints. */
  async open(): Promise<void> {
    // Named after what it did, as it goes: the calls differ with the contract, the tenancy and the endpoints there.
    const setUp = this.begin('(set-up)');
    const done: string[] = [];
    const did = (what: string) => {
      done.push(what);
      setUp.step = `(set-up) ${done.join(', ')}`;
    };
    const frozen = canFreezeClock();
    const each = this.clients.length > 1 ? "each tenant's" : "tenant A's";
    for (let tenant = 0; tenant < this.clients.length; tenant++) {
      const clock = await this.call(tenant, frozen ? 'freezeClock' : 'getClock', {}, 200);
      this.readClock(tenant, clock, frozen);
      let foreign = 0;
      if (this.config.shared) foreign = (await this.call(tenant, 'listWebhookEndpoints', {}, 200)).json.length;
      this.model.tenants.push(newTenant(this.config.shared, foreign));
    }
    did(`${frozen ? 'freeze' : 'read'} ${each} clock`);
    if (this.config.shared) did(`list ${each} webhook endpoints`);
    // The first tenant starts with an endpoint of the kit's receiver, so that every sequence is heard.
    const first = this.model.tenants[0];
    if (first.foreignEndpoints < 3) {
      const inbox = this.openInbox();
      const created = await this.call(
        0,
        'createWebhookEndpoint',
        { body: { url: this.inboxes[inbox].url, secret: this.inboxes[inbox].secret } },
        201,
      );
      first.endpoints.push({ id: created.json.id, inbox, live: true, expected: [], retried: [] });
      did("add a webhook endpoint of the kit's receiver to tenant A");
    }
  }

  /** Fresh tenants are wiped; a shared one keeps its state, less the endpoints this run added. */
  async close(): Promise<void> {
    this.begin('(tear-down)');
    for (let tenant = 0; tenant < this.clients.length; tenant++) {
      if (!this.config.shared) {
        await this.call(tenant, 'resetTenant', {}, 200).catch(() => undefined);
        continue;
      }
      for (const endpoint of this.model.tenants[tenant]?.endpoints ?? []) {
        if (endpoint.live)
          await this.call(tenant, 'deleteWebhookEndpoint', { pathParams: { endpoint_id: endpoint.id } }).catch(
            () => undefined,
          );
      }
      if (canFreezeClock()) await this.call(tenant, 'unfreezeClock', {}).catch(() => undefined);
    }
  }

  begin(step: string): TraceStep {
    const begun = { n: this.trace.length, step, exchanges: [] };
    this.current = begun;
    this.trace.push(begun);
    return begun;
  }

  private record(exchange: Exchange): void {
    this.current?.exchanges.push(exchange);
    if (exchange.response) this.config.coverage.add(`${exchange.operationId} ${exchange.response.status}`);
  }

  /** One call; a response that breaks the spec, or (with `status`) another status, is a mismatch. */
  call<O extends OperationId, S extends StatusOf<O>>(
    tenant: number,
    operationId: O,
    options: CallOptions<O>,
    status: S,
  ): Promise<ApiResponse<O, S>>;
  call<O extends OperationId>(tenant: number, operationId: O, options: CallOptions<O>): Promise<ApiResponse<O>>;
  async call<O extends OperationId>(
    tenant: number,
    operationId: O,
    options: CallOptions<O>,
    status?: number,
  ): Promise<RawResponse> {
    return this.judge(operationId, () => this.clients[tenant].call(operationId, options), status);
  }

  /** A call the types do not describe (a query outside its enum), judged the same way. */
  send(tenant: number, op: Operation, options: SendOptions): Promise<RawResponse> {
    return this.judge(op.operationId, () => this.clients[tenant].send(op, options));
  }

  private async judge(operationId: string, send: () => Promise<RawResponse>, status?: number): Promise<RawResponse> {
    let response: RawResponse;
    try {
      response = await send();
    } catch (error) {
      const failure = (error as { failure?: { exchange?: Exchange } }).failure;
      throw new Mismatch(
        `${operationId} gave no HTTP answer`,
        'an HTTP response',
        (error as Error).message,
        failure?.exchange,
      );
    }
    if (response.exchange.violations.length > 0) {
      throw new Mismatch(
        `the response of ${operationId} breaks the contract`,
        'a documented status with a body valid against its schema',
        response.exchange.violations,
        response.exchange,
      );
    }
    if (status !== undefined && response.status !== status) {
      throw new Mismatch(
        `${operationId} answered ${response.status}`,
        { status },
        { status: response.status, body: response.json ?? response.text },
        response.exchange,
      );
    }
    return response;
  }

  readClock(tenant: number, response: { json: Schemas['Clock'] }, frozen = this.clocks[tenant]?.frozen ?? false): void {
    this.clocks[tenant] = {
      serverMs: epochMilliseconds(response.json.now),
      serverNs: instant(response.json.now),
      realMs: Date.now(),
      frozen: frozen || response.json.frozen === true,
    };
  }

  now(tenant: number): Now {
    const clock = this.clocks[tenant];
    if (clock.frozen) return { ms: clock.serverMs, slackMs: 0 };
    return { ms: clock.serverMs + (Date.now() - clock.realMs), slackMs: DRIFT_SLACK_MS };
  }

  /** The tenant's clock, exact, when it is frozen (only then can due times be reached exactly). */
  exactNow(tenant: number): bigint | undefined {
    const clock = this.clocks[tenant];
    return clock?.frozen ? clock.serverNs : undefined;
  }

  /** Whether the tenant's clock is frozen. */
  frozen(tenant: number): boolean {
    return this.clocks[tenant]?.frozen ?? false;
  }

  inbox(index: number): Inbox {
    return this.inboxes[index];
  }

  /** A new inbox; with `script`, it answers each event's deliveries from it. */
  openInbox(script?: ReceiverScript): number {
    const inbox = this.config.receiver.openInbox();
    if (script) inbox.answerFrom((_eventId, nth) => scriptAnswer(script, nth));
    this.inboxes.push(inbox);
    return this.inboxes.length - 1;
  }

  /**
   * The delivery log against the model at the endpoints whose receivers follow a script: waits
   * (bounded) until the log lists the attempts the model expects, judges every entry, and
   * checks that each receiver got exactly the requests the model expects, and no more after a
   * reset wiped its endpoint.
   */
  async sync(tenant: number, t: TenantModel): Promise<void> {
    if (!t.endpoints.some((e) => e.script) && t.retired.length === 0) return;
    for (let round = 0; round < 8; round++) {
      // A correct log catches up in milliseconds; the bound is generous for loaded machines.
      const deadline = Date.now() + this.config.timeoutMs;
      let log: Schemas['WebhookDelivery'][] = [];
      for (;;) {
        log = (await this.call(tenant, 'listWebhookDeliveries', { query: { limit: 1000 } }, 200)).json;
        if (logCaughtUp(t, log) || Date.now() > deadline || this.config.signal?.aborted) break;
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
      const { problem, changed } = judgeLog(t, log);
      if (problem)
        throw new Mismatch(`the delivery log: ${problem}`, 'the log the model of the contract predicts', problem);
      for (const entry of log)
        if (
          t.endpoints.some((e) => e.script && e.id === entry.endpoint_id) &&
          !t.deliveries.some((k) => k.id === entry.id)
        )
          t.deliveries.push({ id: entry.id, endpointId: entry.endpoint_id });
      if (!changed) break;
    }
    for (const endpoint of t.endpoints.filter((e) => e.script)) {
      const inbox = this.inboxes[endpoint.inbox];
      const wanted = expectedRequests(endpoint);
      await inbox.waitFor(
        () => [...wanted].every(([id, n]) => inbox.requestsFor(id) >= n),
        this.config.timeoutMs,
        this.config.signal,
      );
      for (const [id, n] of wanted) {
        const got = inbox.requestsFor(id);
        if (got !== n)
          throw new Mismatch(
            `the receiver of endpoint ${endpoint.id} (${describeScript(endpoint.script!)}) got ${got} requests for event ${id}, expected ${n}`,
            n,
            got,
          );
      }
    }
    for (const retired of t.retired) {
      const inbox = this.inboxes[retired.inbox];
      for (const [id, n] of retired.requests)
        if (inbox.requestsFor(id) > n)
          throw new Mismatch(
            `event ${id} was sent again after a reset wiped its endpoint`,
            `${n} requests, none after the reset`,
            inbox.requestsFor(id),
          );
    }
  }

  /** Waits for every delivery the model expects at each live endpoint, then judges them. */
  async settle(tenant: TenantModel, only?: EndpointModel): Promise<void> {
    for (const endpoint of only ? [only] : tenant.endpoints.filter((e) => e.live)) {
      const inbox = this.inboxes[endpoint.inbox];
      // At a scripted receiver, only what was attempted has arrived (a waiting delivery has not).
      const sent = { ...endpoint, expected: endpoint.expected.filter((x) => !x.delivery || x.delivery.requests > 0) };
      const wanted = new Set(sent.expected.map((x) => x.jobId));
      const forWanted = (all: ReceivedDelivery[]) => all.filter((d) => wanted.has(text(d.json?.job?.id)));
      const unique = (all: ReceivedDelivery[]) => new Set(forWanted(all).map((d) => d.json?.id)).size;
      const retries = () =>
        endpoint.retried.every(
          (id, i) =>
            inbox.deliveries.filter((d) => d.json?.id === id).length >=
            1 + endpoint.retried.slice(0, i + 1).filter((x) => x === id).length,
        );
      await inbox.waitFor(
        (all) => unique(all) >= sent.expected.length && retries(),
        this.config.webhookWaitMs,
        this.config.signal,
      );
      const problem = judgeDeliveries(sent, forWanted(inbox.deliveries));
      if (problem)
        throw new Mismatch(
          `webhooks at endpoint ${endpoint.id}: ${problem.message}`,
          problem.expected,
          problem.received,
        );
    }
  }
}

/** A payload field as the model's text; a field of another type gets a label no text field can have. */
function text(value: unknown): string {
  return typeof value === 'string'
    ? value
    : `(${value === null ? 'null' : typeof value}) ${String(JSON.stringify(value))}`;
}

/** Order per job and endpoint, both signatures, the job inside, retries under the same id. */
function judgeDeliveries(
  endpoint: EndpointModel,
  received: ReceivedDelivery[],
): { message: string; expected: unknown; received: unknown } | undefined {
  const firsts = new Map<unknown, ReceivedDelivery>();
  for (const d of received) {
    if (!d.standardSignature.ok || !d.instaLeapSignature.ok) {
      return {
        message: 'a delivery is not signed as the contract says',
        expected: 'both signatures valid',
        received: [d.standardSignature.error, d.instaLeapSignature.error].filter(Boolean),
      };
    }
    const first = firsts.get(d.json?.id);
    if (!first) firsts.set(d.json?.id, d);
    else if (first.headers['webhook-id'] !== d.headers['webhook-id']) {
      return {
        message: `event ${String(d.json?.id)} came twice under different webhook-ids`,
        expected: first.headers['webhook-id'],
        received: d.headers['webhook-id'],
      };
    }
  }
  const byJob = (types: Array<{ jobId: string; type: string }>) => {
    const out: Record<string, string[]> = {};
    for (const t of types) (out[t.jobId] ??= []).push(t.type);
    return out;
  };
  const deliveries = [...firsts.values()];
  const expectedTypes = byJob(endpoint.expected);
  const receivedTypes = byJob(deliveries.map((d) => ({ jobId: text(d.json?.job?.id), type: text(d.json?.type) })));
  if (
    JSON.stringify(expectedTypes) !==
      JSON.stringify(Object.fromEntries(Object.keys(expectedTypes).map((k) => [k, receivedTypes[k] ?? []]))) ||
    Object.keys(receivedTypes).length !== Object.keys(expectedTypes).length
  ) {
    return {
      message: 'the events received, per job in order, are not those that happened',
      expected: expectedTypes,
      received: receivedTypes,
    };
  }
  const seen: Record<string, number> = {};
  for (const d of deliveries) {
    const jobId = text(d.json?.job?.id);
    const { state, delivery_code: code } = d.json?.job ?? {};
    const index = (seen[jobId] = (seen[jobId] ?? -1) + 1);
    const expected = endpoint.expected.filter((x) => x.jobId === jobId)[index];
    if (!expected.states.some((s) => s === state)) {
      return {
        message: `the job inside ${text(d.json?.type)} of job ${jobId} is ${text(state)}`,
        expected: expected.states,
        received: state,
      };
    }
    // A code never read back cannot be matched: the job's read after its creation failed.
    if (unread(expected.code) || code !== codeValue(expected.code)) {
      return {
        message: `the job inside ${text(d.json?.type)} of job ${jobId} carries another delivery code`,
        expected: codeValue(expected.code),
        received: code,
      };
    }
  }
  const clients = new Set(deliveries.map((d) => d.json?.client_id));
  if (clients.size > 1)
    return {
      message: "one tenant's deliveries carry several client_ids",
      expected: 'one client_id',
      received: [...clients],
    };
  return undefined;
}
