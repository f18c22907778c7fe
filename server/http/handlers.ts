/**
 * One line per operation: the domain's answer in HTTP terms. Each handler is typed from the
 * spec's generated `operations`: its path parameters, query and body as validated, and the
 * status and body of each success it may answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { operations } from '../../spec/types.gen';
import type { Gate, Sandbox } from '../application/sandbox';
import type { FaultRules } from '../faults/faults';
import type { Outbox } from '../webhooks/outbox';
import { STORE_UNREACHABLE_MESSAGE } from '../domain/store';
import { HttpError } from './errors';
import { relayStream } from './relay-stream';

/** Webhook operations (`on...`) are what receivers implement, not this server. */
export type ServerOperationId = Exclude<keyof operations, `on${string}`>;

type JsonOf<T> = T extends { content: { 'application/json': infer Body } } ? Body : undefined;
type Parameters<K extends ServerOperationId> = operations[K]['parameters'];
type Present<T> = [NonNullable<T>] extends [never] ? Record<string, never> : NonNullable<T>;

export type PathOf<K extends ServerOperationId> =
  Parameters<K> extends { path: infer Path } ? Path : Record<string, never>;
export type QueryOf<K extends ServerOperationId> =
  Parameters<K> extends { query?: infer Query } ? Present<Query> : Record<string, never>;
/** Optional bodies may be absent; operations without one get undefined. */
export type BodyOf<K extends ServerOperationId> = operations[K] extends { requestBody: infer Body }
  ? JsonOf<Body>
  : operations[K] extends { requestBody?: infer Body }
    ? JsonOf<NonNullable<Body>> | undefined
    : undefined;

type Responses<K extends ServerOperationId> = operations[K]['responses'];
type SuccessStatus<K extends ServerOperationId> = Extract<keyof Responses<K>, 200 | 201 | 202 | 204>;

export type Reply<K extends ServerOperationId> = {
  [Status in SuccessStatus<K>]: {
    status: Status;
    body: JsonOf<Responses<K>[Status]>;
    headers?: Record<string, string>;
    /** An answer that stays open (an event stream): writes it, once the pipeline is done with the request. */
    stream?: (req: IncomingMessage, res: ServerResponse) => void;
  };
}[SuccessStatus<K>];

export interface RequestContext<K extends ServerOperationId> {
  key: string;
  params: PathOf<K>;
  query: QueryOf<K>;
  body: BodyOf<K>;
  headers: IncomingMessage['headers'];
  /** What a production operation asks first, in its own transaction (the fault rules: server/http/faults.ts). */
  gate?: Gate;
}

export type Handler<K extends ServerOperationId> = (ctx: RequestContext<K>) => Promise<Reply<K>>;

export type HandlerTable = { [K in ServerOperationId]: Handler<K> };

export interface HandlerDeps {
  sandbox: Sandbox;
  outbox: Outbox;
  faults: FaultRules;
  version: string;
  /** What /readyz asks: the store's kind, and whether it answers. */
  readiness: Readiness;
}

export interface Readiness {
  readonly kind: string;
  /** Rejects when the store does not answer. */
  ping(): Promise<void>;
}

export function handlers({ sandbox, outbox, faults, version, readiness }: HandlerDeps): HandlerTable {
  const ok = <Body>(body: Body) => ({ status: 200 as const, body });
  /** The sandbox as one request sees it: behind its gate, if it has one. */
  const behind = (gate: Gate | undefined) => (gate ? sandbox.gated(gate) : sandbox);
  return {
    getAvailability: async ({ key, body, gate }) => ok(await behind(gate).availability(key, body)),
    checkSlot: async ({ key, params, gate }) => ok(await behind(gate).checkSlot(key, params.slot_id)),
    extendSlot: async ({ key, params, gate }) => ok(await behind(gate).extendSlot(key, params.slot_id)),
    createJob: async ({ key, body, headers, gate }) => {
      const idempotencyKey = headers['idempotency-key'];
      const created = await behind(gate).createJob(
        key,
        body,
        typeof idempotencyKey === 'string' ? idempotencyKey : undefined,
      );
      const location = { Location: `/jobs/${created.jobId}` };
      return {
        status: 201,
        body: created.response,
        headers: created.replayed ? { ...location, 'Idempotent-Replayed': 'true' } : location,
      };
    },
    getJob: async ({ key, params, gate }) => ok(await behind(gate).getJob(key, params.job_id)),
    cancelJob: async ({ key, params, body, gate }) =>
      ok(await behind(gate).cancelJob(key, params.job_id, body ?? undefined)),
    updateDeliveryCode: async ({ key, params, body, gate }) =>
      ok(await behind(gate).updateDeliveryCode(key, params.job_id, body)),
    rescheduleJob: async ({ key, params, body, gate }) =>
      ok(await behind(gate).rescheduleJob(key, params.job_id, body)),
    updatePaymentInfo: async ({ key, params, body, gate }) =>
      ok(await behind(gate).updatePaymentInfo(key, params.job_id, body)),
    replaceExternalData: async ({ key, params, body, gate }) =>
      ok(await behind(gate).replaceExternalData(key, params.job_id, body)),
    getHealth: () => Promise.resolve(ok({ status: 'ok' as const, version })),
    getReadiness: async () => {
      try {
        await readiness.ping();
      } catch {
        throw new HttpError('STORE_UNAVAILABLE', STORE_UNREACHABLE_MESSAGE, { store: readiness.kind });
      }
      return ok({ status: 'ready' as const, store: readiness.kind });
    },
    getClock: async ({ key }) => ok(await sandbox.clock(key)),
    advanceClock: async ({ key, body }) => ok(await sandbox.advanceClock(key, body)),
    freezeClock: async ({ key }) => ok(await sandbox.freezeClock(key)),
    unfreezeClock: async ({ key }) => ok(await sandbox.unfreezeClock(key)),
    listJobs: async ({ key, query }) => ok(await sandbox.listJobs(key, query)),
    advanceJob: async ({ key, params, body }) => ok(await sandbox.advanceJob(key, params.job_id, body ?? undefined)),
    updateRecipientInstructions: async ({ key, params, body }) =>
      ok(await sandbox.updateRecipientInstructions(key, params.job_id, body)),
    listWebhookEndpoints: async ({ key }) => ok(await outbox.listEndpoints(key)),
    createWebhookEndpoint: async ({ key, body }) => ({ status: 201, body: await outbox.createEndpoint(key, body) }),
    updateWebhookEndpoint: async ({ key, params, body }) =>
      ok(await outbox.updateEndpoint(key, params.endpoint_id, body)),
    deleteWebhookEndpoint: async ({ key, params }) => {
      await outbox.deleteEndpoint(key, params.endpoint_id);
      return { status: 204, body: undefined };
    },
    createWebhookRelay: async ({ key, body }) => ({ status: 201, body: await outbox.createRelay(key, body) }),
    streamWebhookRelay: async ({ key, params }) => {
      const holder = await outbox.openRelay(key, params.endpoint_id);
      return { status: 200, body: undefined, stream: relayStream(outbox, key, params.endpoint_id, holder) };
    },
    reportWebhookRelayResult: async ({ key, params, body }) => {
      await outbox.reportRelayResult(key, params.endpoint_id, body);
      return { status: 204, body: undefined };
    },
    listWebhookDeliveries: async ({ key, query }) => ok(await outbox.listDeliveries(key, query)),
    retryWebhookDelivery: async ({ key, params }) => ({
      status: 202,
      body: await outbox.retryDelivery(key, params.delivery_id),
    }),
    listFaults: async ({ key }) => ok(await faults.list(key)),
    createFault: async ({ key, body }) => ({ status: 201, body: await faults.create(key, body) }),
    deleteFault: async ({ key, params }) => {
      await faults.delete(key, params.fault_id);
      return { status: 204, body: undefined };
    },
    resetTenant: async ({ key }) => {
      await sandbox.reset(key);
      return ok({ message: 'Tenant reset' });
    },
  };
}
