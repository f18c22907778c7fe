/**
 * The webhook outbox: every job event of a tenant becomes one delivery per endpoint of
 * that tenant, signed twice (production's InstaLeap-Signature and Standard Webhooks), sent
 * at least once and in order per job and endpoint, retried on the server's schedule on the
 * tenant's clock, then dead-lettered. Chains are independent, so one slow or dead endpoint
 * never holds up another endpoint, job or tenant.
 */
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Schemas } from '../../spec/contract';
import { iso } from '../domain/clock';
import { DomainError } from '../domain/errors';
import { newId } from '../domain/ids';
import type { JobEvent, Sandbox } from '../domain/sandbox';
import type { DeliveryRecord, EndpointRecord, TenantState } from '../domain/store';
import { assertAllowedTarget, guardedLookup, isPrivateAddress, parseWebhookUrl } from './url-policy';

export interface OutboxConfig {
  /** Seconds to wait after the 1st, 2nd, ... failed attempt; after the last, dead-lettered. */
  retrySchedule: number[];
  /** Each wait is multiplied by a random factor in [1 - jitter, 1 + jitter]. */
  retryJitter: number;
  timeoutMs: number;
  allowPrivate: boolean;
  maxEndpointsPerTenant: number;
  /** Delivery log entries kept per tenant; finished ones are forgotten oldest first. */
  maxDeliveriesPerTenant: number;
  random: () => number;
}

export const DEFAULT_OUTBOX_CONFIG: Readonly<OutboxConfig> = Object.freeze({
  retrySchedule: Object.freeze([1, 5, 30, 120, 600]) as number[],
  retryJitter: 0.1,
  timeoutMs: 5000,
  allowPrivate: true,
  maxEndpointsPerTenant: 3,
  maxDeliveriesPerTenant: 10_000,
  random: Math.random,
});

const MAX_RESPONSE_BODY_KEPT = 2048;

/** Runtime scheduling state of one tenant; the records themselves live in the store. */
interface TenantRuntime {
  /** Pending deliveries per endpoint and job, oldest first; only the head is ever sent. */
  chains: Map<string, DeliveryRecord[]>;
  inFlight: Set<string>;
  timer: NodeJS.Timeout | null;
  timerDueMs: number;
  signers: Map<string, Webhook>;
  /**
   * One connection pool per endpoint, so that a receiver that hangs can only hold up its
   * own deliveries, even when another endpoint shares its host and port.
   */
  agents: Map<string, http.Agent>;
}

const SOCKETS_PER_ENDPOINT = 32;

/** A delivery was created, attempted, retried or given up on. */
export type DeliveryListener = (tenant: TenantState, delivery: Pick<DeliveryRecord, 'id' | 'job_id' | 'status' | 'attempts'>) => void;

type Send = (rawUrl: string, agent: http.Agent, headers: Record<string, string>, body: string) => Promise<{ ok: boolean; attempt: { status_code?: number; error?: string }; responseBody?: string }>;

/**
 * Internal steps a test may wrap at construction, to break one rule on purpose
 * (test/mutants); each wrapper gets the step as built and returns its replacement.
 * `lastmile serve` passes none.
 */
export interface OutboxStepWrappers {
  enqueue?(original: (tenant: TenantState, event: JobEvent) => void): (tenant: TenantState, event: JobEvent) => void;
  signer?(original: (runtime: TenantRuntime, endpoint: EndpointRecord) => Webhook): (runtime: TenantRuntime, endpoint: EndpointRecord) => Webhook;
  send?(original: Send): Send;
}

export class Outbox {
  readonly config: OutboxConfig;
  private readonly deliveryListeners: DeliveryListener[] = [];
  private readonly runtimes = new WeakMap<TenantState, TenantRuntime>();
  private readonly inFlightRequests = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly sandbox: Sandbox, config: Partial<OutboxConfig> = {}, wrappers: OutboxStepWrappers = {}) {
    // A copy of the schedule: an instance must never share (and so change) another's.
    this.config = { ...DEFAULT_OUTBOX_CONFIG, ...config, retrySchedule: [...(config.retrySchedule ?? DEFAULT_OUTBOX_CONFIG.retrySchedule)] };
    if (wrappers.enqueue) this.enqueue = wrappers.enqueue(this.enqueue.bind(this));
    if (wrappers.signer) this.signer = wrappers.signer(this.signer.bind(this));
    if (wrappers.send) this.send = wrappers.send(this.send.bind(this));
    sandbox.onEvent((tenant, event) => this.enqueue(tenant, event));
    sandbox.store.onDrop((tenant) => this.forget(tenant));
  }

  onDeliveryUpdate(listener: DeliveryListener): () => void {
    this.deliveryListeners.push(listener);
    return () => {
      const i = this.deliveryListeners.indexOf(listener);
      if (i >= 0) this.deliveryListeners.splice(i, 1);
    };
  }

  private notify(tenant: TenantState, delivery: DeliveryRecord): void {
    for (const listener of this.deliveryListeners) listener(tenant, delivery);
  }

  // ---- endpoints ----------------------------------------------------------------------

  async createEndpoint(key: string, request: Schemas['CreateWebhookEndpointRequest']): Promise<Schemas['WebhookEndpointWithSecret']> {
    const url = parseWebhookUrl(request.url);
    await assertAllowedTarget(url, this.config.allowPrivate);
    const tenant = this.sandbox.tenant(key);
    if (tenant.endpoints.size >= this.config.maxEndpointsPerTenant) {
      throw new DomainError('WEBHOOK_ENDPOINT_LIMIT', `At most ${this.config.maxEndpointsPerTenant} webhook endpoints per tenant`);
    }
    const secret = request.secret ?? `whsec_${randomBytes(24).toString('base64')}`;
    const endpoint: EndpointRecord = { id: newId('whe'), url: url.toString(), secret, created_at: iso(tenant.clock.now()) };
    tenant.endpoints.set(endpoint.id, endpoint);
    return { ...endpoint };
  }

  listEndpoints(key: string): Schemas['WebhookEndpoint'][] {
    return [...this.sandbox.tenant(key).endpoints.values()].map(({ id, url, created_at }) => ({ id, url, created_at }));
  }

  deleteEndpoint(key: string, endpointId: string): void {
    const tenant = this.sandbox.tenant(key);
    if (!tenant.endpoints.delete(endpointId)) throw new DomainError('WEBHOOK_ENDPOINT_NOT_FOUND', `Webhook endpoint ${endpointId} not found`);
    const runtime = this.runtime(tenant);
    runtime.signers.delete(endpointId);
    runtime.agents.get(endpointId)?.destroy();
    runtime.agents.delete(endpointId);
    for (const [chainKey, chain] of runtime.chains) {
      if (!chainKey.startsWith(`${endpointId} `)) continue;
      for (const delivery of chain) this.finish(delivery, 'DEAD_LETTERED');
      runtime.chains.delete(chainKey);
    }
  }

  // ---- delivery log -------------------------------------------------------------------

  listDeliveries(key: string, filter: { job_id?: string; status?: Schemas['DeliveryStatus']; limit?: number } = {}): Schemas['WebhookDelivery'][] {
    const tenant = this.sandbox.tenant(key);
    const all = [...tenant.deliveries.values()];
    const limit = filter.limit ?? 100;
    const out: Schemas['WebhookDelivery'][] = [];
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
      const d = all[i];
      if ((filter.job_id === undefined || d.job_id === filter.job_id) && (filter.status === undefined || d.status === filter.status)) out.push(this.view(tenant, d));
    }
    return out;
  }

  /**
   * One more attempt now. A pending delivery keeps its place in its chain (one waiting
   * behind another stays waiting); a finished one is sent once more, outside its chain.
   */
  retryDelivery(key: string, deliveryId: string): Schemas['WebhookDelivery'] {
    const tenant = this.sandbox.tenant(key);
    const delivery = tenant.deliveries.get(deliveryId);
    if (!delivery) throw new DomainError('WEBHOOK_DELIVERY_NOT_FOUND', `Webhook delivery ${deliveryId} not found`);
    if (!tenant.endpoints.get(delivery.endpoint_id)) {
      throw new DomainError('WEBHOOK_ENDPOINT_DELETED', `Webhook endpoint ${delivery.endpoint_id} of delivery ${deliveryId} was deleted`);
    }
    const runtime = this.runtime(tenant);
    const nowMs = tenant.clock.now();
    if (delivery.status === 'PENDING') {
      if (this.waitingFor(runtime, delivery) === undefined && delivery.nextAttemptAtMs !== null) {
        delivery.nextAttemptAtMs = Math.min(delivery.nextAttemptAtMs, nowMs);
        this.pump(tenant);
      }
    } else {
      delivery.status = 'PENDING';
      delivery.nextAttemptAtMs = nowMs;
      const snapshot = this.view(tenant, delivery);
      if (!runtime.inFlight.has(delivery.id)) this.attempt(tenant, delivery, true);
      return snapshot;
    }
    return this.view(tenant, delivery);
  }

  /** The head of the chain a pending delivery waits in, when it is not the head itself. */
  private waitingFor(runtime: TenantRuntime | undefined, delivery: DeliveryRecord): string | undefined {
    if (delivery.status !== 'PENDING' || !runtime) return undefined;
    const chain = runtime.chains.get(`${delivery.endpoint_id} ${delivery.job_id}`);
    // A finished delivery sent again by hand is outside its chain and waits for nothing.
    return chain && chain[0] !== delivery && chain.includes(delivery) ? chain[0].id : undefined;
  }

  private view(tenant: TenantState, delivery: DeliveryRecord): Schemas['WebhookDelivery'] {
    return view(delivery, this.waitingFor(this.runtimes.get(tenant), delivery));
  }

  // ---- scheduling ---------------------------------------------------------------------

  private runtime(tenant: TenantState): TenantRuntime {
    let runtime = this.runtimes.get(tenant);
    if (!runtime) {
      runtime = { chains: new Map(), inFlight: new Set(), timer: null, timerDueMs: Infinity, signers: new Map(), agents: new Map() };
      this.runtimes.set(tenant, runtime);
    }
    return runtime;
  }

  private enqueue(tenant: TenantState, event: JobEvent): void {
    if (tenant.endpoints.size === 0 || this.stopped) return;
    const payloadText = JSON.stringify(event);
    const runtime = this.runtime(tenant);
    const nowMs = tenant.clock.now();
    for (const endpoint of tenant.endpoints.values()) {
      const delivery: DeliveryRecord = {
        id: newId('whd'),
        endpoint_id: endpoint.id,
        url: endpoint.url,
        event_id: event.id,
        event_type: event.type,
        job_id: event.job.id,
        status: 'PENDING',
        attempts: [],
        nextAttemptAtMs: runtime.chains.has(`${endpoint.id} ${event.job.id}`) ? null : nowMs,
        created_at: event.created_at,
        payloadText,
        instaLeapSignature: createHmac('sha256', endpoint.secret).update(`${event.id}&${event.created_at}&${event.type}`).digest('hex'),
      };
      this.remember(tenant, delivery);
      this.notify(tenant, delivery);
      const chainKey = `${endpoint.id} ${event.job.id}`;
      const chain = runtime.chains.get(chainKey);
      if (chain) chain.push(delivery);
      else {
        runtime.chains.set(chainKey, [delivery]);
        this.attempt(tenant, delivery, false);
      }
    }
  }

  private remember(tenant: TenantState, delivery: DeliveryRecord): void {
    if (tenant.deliveries.size >= this.config.maxDeliveriesPerTenant) {
      for (const old of tenant.deliveries.values()) {
        if (old.status !== 'PENDING') {
          tenant.deliveries.delete(old.id);
          break;
        }
      }
    }
    tenant.deliveries.set(delivery.id, delivery);
  }

  /** Sends every chain head that is due and idle, and sets the timer for the next one. */
  pump(tenant: TenantState): void {
    const runtime = this.runtimes.get(tenant);
    if (!runtime || this.stopped) return;
    const nowMs = tenant.clock.now();
    let nextDue = Infinity;
    for (const chain of runtime.chains.values()) {
      const head = chain[0];
      if (runtime.inFlight.has(head.id) || head.nextAttemptAtMs === null) continue;
      if (head.nextAttemptAtMs <= nowMs) this.attempt(tenant, head, false);
      else nextDue = Math.min(nextDue, head.nextAttemptAtMs);
    }
    this.arm(tenant, runtime, nextDue);
  }

  private arm(tenant: TenantState, runtime: TenantRuntime, dueMs: number): void {
    if (dueMs === Infinity || (runtime.timer && runtime.timerDueMs <= dueMs)) return;
    const delayMs = tenant.clock.realDelayUntil(dueMs);
    // A frozen clock reaches nothing by itself: advancing or unfreezing it pumps again.
    if (delayMs === Infinity) return;
    if (runtime.timer) clearTimeout(runtime.timer);
    runtime.timerDueMs = dueMs;
    runtime.timer = setTimeout(() => {
      runtime.timer = null;
      runtime.timerDueMs = Infinity;
      this.pump(tenant);
    }, delayMs);
    runtime.timer.unref();
  }

  private signer(runtime: TenantRuntime, endpoint: EndpointRecord): Webhook {
    let signer = runtime.signers.get(endpoint.id);
    if (!signer) {
      signer = new Webhook(endpoint.secret);
      runtime.signers.set(endpoint.id, signer);
    }
    return signer;
  }

  private agent(runtime: TenantRuntime, endpoint: EndpointRecord): http.Agent {
    let agent = runtime.agents.get(endpoint.id);
    if (!agent) {
      const options = { keepAlive: true, maxSockets: SOCKETS_PER_ENDPOINT };
      agent = endpoint.url.startsWith('https:') ? new https.Agent(options) : new http.Agent(options);
      runtime.agents.set(endpoint.id, agent);
    }
    return agent;
  }

  private attempt(tenant: TenantState, delivery: DeliveryRecord, manual: boolean): void {
    const runtime = this.runtime(tenant);
    const endpoint = tenant.endpoints.get(delivery.endpoint_id);
    if (!endpoint) return;
    runtime.inFlight.add(delivery.id);
    const started = performance.now();
    const atMs = tenant.clock.now();
    const at = iso(atMs);
    const timestamp = new Date();
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'lastmile-sandbox-webhooks/1',
      'InstaLeap-Signature': delivery.instaLeapSignature,
      'webhook-id': delivery.event_id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': this.signer(runtime, endpoint).sign(delivery.event_id, timestamp, delivery.payloadText),
    };
    const request = this.send(delivery.url, this.agent(runtime, endpoint), headers, delivery.payloadText).then((outcome) => {
      runtime.inFlight.delete(delivery.id);
      if (this.runtimes.get(tenant) !== runtime || tenant.deliveries.get(delivery.id) !== delivery) return;
      delivery.attempts.push({ at, latency_ms: Math.round((performance.now() - started) * 100) / 100, ...outcome.attempt });
      if (outcome.responseBody !== undefined) delivery.last_response_body = outcome.responseBody;
      this.settle(tenant, runtime, delivery, outcome.ok, manual, atMs);
    });
    this.inFlightRequests.add(request);
    request.finally(() => this.inFlightRequests.delete(request));
  }

  /** `attemptAtMs`: when the attempt started; the next one is due a wait after it. */
  private settle(tenant: TenantState, runtime: TenantRuntime, delivery: DeliveryRecord, ok: boolean, manual: boolean, attemptAtMs: number): void {
    const chainKey = `${delivery.endpoint_id} ${delivery.job_id}`;
    const chain = runtime.chains.get(chainKey);
    const isHead = chain?.[0] === delivery;
    if (ok) {
      this.finish(delivery, 'SUCCEEDED');
    } else if (manual && !isHead) {
      this.finish(delivery, 'DEAD_LETTERED');
    } else {
      const failures = delivery.attempts.length;
      const wait = this.config.retrySchedule[failures - 1];
      if (wait === undefined) this.finish(delivery, 'DEAD_LETTERED');
      else {
        const jitter = 1 + this.config.retryJitter * (2 * this.config.random() - 1);
        delivery.nextAttemptAtMs = attemptAtMs + Math.round(wait * 1000 * jitter);
      }
    }
    this.notify(tenant, delivery);
    if (isHead && delivery.status !== 'PENDING') {
      chain!.shift();
      if (chain!.length === 0) runtime.chains.delete(chainKey);
    }
    // Only this chain changed: send its head if due, or wake up when it is. A full scan
    // here would make every settled delivery cost as much as all pending chains together.
    const head = runtime.chains.get(chainKey)?.[0];
    if (!head || this.stopped || runtime.inFlight.has(head.id)) return;
    // A delivery that waited behind the one just settled is due as it reaches the head.
    head.nextAttemptAtMs ??= tenant.clock.now();
    if (head.nextAttemptAtMs <= tenant.clock.now()) this.attempt(tenant, head, false);
    else this.arm(tenant, runtime, head.nextAttemptAtMs);
  }

  private finish(delivery: DeliveryRecord, status: 'SUCCEEDED' | 'DEAD_LETTERED'): void {
    delivery.status = status;
    delivery.nextAttemptAtMs = null;
  }

  private send(rawUrl: string, agent: http.Agent, headers: Record<string, string>, body: string): Promise<{ ok: boolean; attempt: { status_code?: number; error?: string }; responseBody?: string }> {
    return new Promise((resolve) => {
      let settled = false;
      const done = (result: { ok: boolean; attempt: { status_code?: number; error?: string }; responseBody?: string }) => {
        if (!settled) {
          settled = true;
          resolve(result);
        }
      };
      const url = new URL(rawUrl);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (!this.config.allowPrivate && isIP(host) && isPrivateAddress(host)) {
        done({ ok: false, attempt: { error: `refused: ${host} is a private address` } });
        return;
      }
      const transport = url.protocol === 'https:' ? https : http;
      const req = transport.request(url, {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent,
        lookup: guardedLookup(this.config.allowPrivate) as never,
      }, (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let kept = 0;
        const finish = () => {
          const responseBody = Buffer.concat(chunks).toString('utf8');
          if (status >= 200 && status < 300) done({ ok: true, attempt: { status_code: status }, responseBody });
          else if (status >= 300 && status < 400) done({ ok: false, attempt: { status_code: status, error: `redirect to ${res.headers.location ?? '(no location)'} not followed` }, responseBody });
          else done({ ok: false, attempt: { status_code: status, error: `HTTP ${status}` }, responseBody });
        };
        res.on('data', (chunk: Buffer) => {
          if (kept < MAX_RESPONSE_BODY_KEPT) {
            chunks.push(chunk.subarray(0, MAX_RESPONSE_BODY_KEPT - kept));
            kept += Math.min(chunk.length, MAX_RESPONSE_BODY_KEPT - kept);
          }
          if (kept >= MAX_RESPONSE_BODY_KEPT) {
            // No more of an answer is kept; stop reading it rather than buffer a flood.
            finish();
            res.destroy();
          }
        });
        res.on('end', finish);
        res.on('error', () => finish());
      });
      const timer = setTimeout(() => {
        done({ ok: false, attempt: { error: `timeout after ${this.config.timeoutMs} ms` } });
        req.destroy();
      }, this.config.timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (error: NodeJS.ErrnoException) => done({ ok: false, attempt: { error: `${error.code ?? 'ERROR'}: ${error.message}` } }));
      req.end(body);
    });
  }

  // ---- lifecycle ----------------------------------------------------------------------

  /** A reset or evicted tenant: no more attempts, and answers still in flight are ignored. */
  private forget(tenant: TenantState): void {
    const runtime = this.runtimes.get(tenant);
    if (!runtime) return;
    if (runtime.timer) clearTimeout(runtime.timer);
    for (const agent of runtime.agents.values()) agent.destroy();
    this.runtimes.delete(tenant);
  }

  /** Attempts due by the tenant's clock right now (after it was advanced). */
  onClockAdvanced(key: string): void {
    this.pump(this.sandbox.tenant(key));
  }

  /** Resolves once nothing is in flight. */
  async idle(): Promise<void> {
    while (this.inFlightRequests.size > 0) await Promise.allSettled([...this.inFlightRequests]);
  }

  /**
   * Stops scheduling; gives every due or pending head one bounded last try, and returns
   * how many deliveries remain undelivered.
   */
  async shutdown(graceMs: number): Promise<{ undelivered: number }> {
    const pending: DeliveryRecord[] = [];
    for (const tenant of this.sandbox.store.tenants()) {
      for (const d of tenant.deliveries.values()) if (d.status === 'PENDING') pending.push(d);
      const runtime = this.runtimes.get(tenant);
      if (!runtime) continue;
      if (runtime.timer) clearTimeout(runtime.timer);
      for (const chain of runtime.chains.values()) {
        const head = chain[0];
        if (!runtime.inFlight.has(head.id)) this.attempt(tenant, head, false);
      }
    }
    this.stopped = true;
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
    for (const tenant of this.sandbox.store.tenants()) {
      for (const agent of this.runtimes.get(tenant)?.agents.values() ?? []) agent.destroy();
    }
    return { undelivered: pending.filter((d) => d.status !== 'SUCCEEDED').length };
  }
}

function view(d: DeliveryRecord, waitingFor?: string): Schemas['WebhookDelivery'] {
  const out: Schemas['WebhookDelivery'] = {
    id: d.id, endpoint_id: d.endpoint_id, url: d.url, event_id: d.event_id, event_type: d.event_type, job_id: d.job_id,
    status: d.status, attempts: d.attempts.map((a) => ({ ...a })), next_attempt_at: d.nextAttemptAtMs === null ? null : iso(d.nextAttemptAtMs),
    created_at: d.created_at, payload: JSON.parse(d.payloadText),
  };
  if (d.last_response_body !== undefined) out.last_response_body = d.last_response_body;
  if (waitingFor !== undefined) out.waiting_for = waitingFor;
  return out;
}
