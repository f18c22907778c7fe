/** Webhook endpoints and the deliveries of each job event to them. */
import { differs, documented, error, type Answer } from './answers';
import { endpointDeleted, manualRetry, scriptedDelivery } from './receivers';
import type { EndpointModel, JobModel, ReceiverScript, TenantModel } from './state';

export const webhookRules = {
  createWebhookEndpoint(t: TenantModel, inbox: number, valid: boolean, script?: ReceiverScript): Answer[] {
    if (!valid) return [error(422, 'VALIDATION_FAILED')];
    if (t.endpoints.filter((e) => e.live).length + t.foreignEndpoints >= 3)
      return [error(409, 'WEBHOOK_ENDPOINT_LIMIT')];
    return [
      {
        status: 201,
        check: (r) =>
          t.endpoints.some((e) => e.id === documented(r, 'createWebhookEndpoint', 201).id)
            ? 'an endpoint id was given out twice'
            : undefined,
        apply: (r) => {
          t.endpoints.push({
            id: documented(r, 'createWebhookEndpoint', 201).id,
            inbox,
            live: true,
            expected: [],
            retried: [],
            ...(script ? { script } : {}),
          });
        },
      },
    ];
  },

  deleteWebhookEndpoint(t: TenantModel, endpoint: EndpointModel | undefined): Answer[] {
    if (!endpoint || !endpoint.live) return [error(404, 'WEBHOOK_ENDPOINT_NOT_FOUND')];
    return [
      {
        status: 204,
        apply: () => {
          endpoint.live = false;
          if (endpoint.script) endpointDeleted(endpoint);
        },
      },
    ];
  },

  /** One entry per event and endpoint that existed when it happened, deleted endpoints included. */
  listWebhookDeliveries(t: TenantModel, job: JobModel | undefined, valid: boolean): Answer[] {
    if (!valid) return [error(422, 'VALIDATION_FAILED')];
    const expected = t.endpoints
      .flatMap((e) =>
        e.expected.filter((x) => job === undefined || x.jobId === job.id).map((x) => `${e.id} ${x.jobId} ${x.type}`),
      )
      .sort();
    return [
      {
        status: 200,
        check: (r) => {
          const listed = documented(r, 'listWebhookDeliveries', 200)
            .filter((d) => t.endpoints.some((e) => e.id === d.endpoint_id))
            .map((d) => `${d.endpoint_id} ${d.job_id} ${d.event_type}`)
            .sort();
          return differs('deliveries (endpoint, job, event)', expected, listed);
        },
        apply: (r) => {
          for (const d of documented(r, 'listWebhookDeliveries', 200))
            if (!t.deliveries.some((k) => k.id === d.id)) t.deliveries.push({ id: d.id, endpointId: d.endpoint_id });
        },
      },
    ];
  },

  retryWebhookDelivery(t: TenantModel, delivery: { id: string; endpointId: string } | undefined): Answer[] {
    if (!delivery) return [error(404, 'WEBHOOK_DELIVERY_NOT_FOUND')];
    const endpoint = t.endpoints.find((e) => e.id === delivery.endpointId);
    const queued: Answer = {
      status: 202,
      check: (r) => differs('id', delivery.id, documented(r, 'retryWebhookDelivery', 202).id),
      apply: (r) => {
        const { event_id: queuedEvent } = documented(r, 'retryWebhookDelivery', 202);
        if (endpoint?.live) endpoint.retried.push(queuedEvent);
      },
    };
    if (endpoint && !endpoint.live)
      return [error(409, 'WEBHOOK_ENDPOINT_DELETED', undefined, 'the endpoint was deleted')];
    const scripted = scriptedDelivery(t, delivery.id);
    if (scripted) {
      const { check, apply } = manualRetry(t, scripted.endpoint, scripted.event);
      return [
        {
          status: 202,
          check: (r) => differs('id', delivery.id, documented(r, 'retryWebhookDelivery', 202).id) ?? check(r),
          apply,
        },
      ];
    }
    return [queued];
  },
};
