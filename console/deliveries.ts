/** The job page's webhook deliveries: one entry per event, one row per endpoint it goes to. */
import { api, describe } from './api';
import { $, badge, el, sayAboutJob, urlText, utc } from './dom';
import type { WebhookDelivery } from './model';
import { currentJobId, state } from './state';

// After an action, webhook attempts finish on their own; look again a few times, then stop.
const SETTLE_DELAYS_MS = [400, 1000, 2500];

// Attempts settle in bursts (a job's steps, retries after a clock advance): one fetch per burst.
let refreshTimer: ReturnType<typeof setTimeout> | null = null;
export function scheduleDeliveriesRefresh(): void {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    void refreshDeliveries();
  }, 150);
}

/** Fetches afresh, and looks again a few times while attempts are still due. */
export function refreshDeliveriesAfterAction(): void {
  state.settle = 0;
  void refreshDeliveries();
}

export async function refreshDeliveries(): Promise<void> {
  const id = currentJobId();
  if (id === null) return;
  let deliveries: WebhookDelivery[];
  try {
    deliveries = await api<WebhookDelivery[]>(
      'GET',
      `/sandbox/webhook-deliveries?limit=200&job_id=${encodeURIComponent(id)}`,
    );
  } catch {
    return;
  }
  if (currentJobId() !== id) return;
  $('deliveries-empty').hidden = deliveries.length !== 0;
  $('deliveries-list').replaceChildren(...eventGroups(deliveries));
  const unsettled = deliveries.some((d) => d.status === 'PENDING' && (d.attempts.length === 0 || dueSoon(d)));
  if (unsettled && state.settle < SETTLE_DELAYS_MS.length) {
    setTimeout(() => {
      if (currentJobId() === id) void refreshDeliveries();
    }, SETTLE_DELAYS_MS[state.settle]);
    state.settle += 1;
  }
}

function dueSoon(delivery: WebhookDelivery): boolean {
  const next = delivery.next_attempt_at;
  return next ? new Date(next).getTime() - (Date.now() + state.skewMs) < 3000 : false;
}

/**
 * Deliveries go out in order per job and endpoint: only the oldest pending one of a chain
 * is sent, the others wait behind it. Returns, per delivery id, the one it waits behind.
 */
function waitingBehind(deliveries: WebhookDelivery[]): Map<string, WebhookDelivery> {
  const oldestFirst = [...deliveries].sort((a, b) => a.created_at.localeCompare(b.created_at));
  const head = new Map<string, WebhookDelivery>();
  const behind = new Map<string, WebhookDelivery>();
  for (const d of oldestFirst) {
    if (d.status !== 'PENDING') continue;
    const blocker = head.get(d.endpoint_id);
    if (blocker) behind.set(d.id, blocker);
    else head.set(d.endpoint_id, d);
  }
  return behind;
}

/** One entry per event (newest first), with one row per endpoint it goes to. */
function eventGroups(deliveries: WebhookDelivery[]): HTMLElement[] {
  const behind = waitingBehind(deliveries);
  const groups = new Map<string, WebhookDelivery[]>();
  for (const d of deliveries) {
    const group = groups.get(d.event_id);
    if (group) group.push(d);
    else groups.set(d.event_id, [d]);
  }
  return [...groups.values()].map((group) =>
    el(
      'li',
      { class: 'event', dataset: { eventType: group[0].event_type, eventId: group[0].event_id } },
      el('span', { class: 'type' }, group[0].event_type),
      el(
        'span',
        { class: 'muted small' },
        ' · ',
        el('time', { datetime: group[0].created_at }, utc(group[0].created_at, true)),
        ` · to ${group.length} endpoint${group.length === 1 ? '' : 's'}`,
      ),
      el(
        'ul',
        { class: 'plain' },
        group.map((d) => deliveryItem(d, behind.get(d.id))),
      ),
    ),
  );
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

type Attempt = WebhookDelivery['attempts'][number];

/** What an attempt came to: its status, and its error when that says more than the status (`HTTP 500` does not). */
export function attemptResult(attempt: Attempt): string {
  const status = attempt.status_code ? `HTTP ${attempt.status_code}` : '';
  const error = attempt.error && attempt.error !== status ? attempt.error : '';
  return [status, error].filter(Boolean).join(' · ');
}

function attemptsTable(d: WebhookDelivery): HTMLElement | null {
  if (!d.attempts.length) return null;
  return el(
    'div',
    { class: 'scroll' },
    el(
      'table',
      {},
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', { scope: 'col' }, '#'),
          el('th', { scope: 'col' }, 'At (tenant clock)'),
          el('th', { scope: 'col' }, 'Result'),
          el('th', { scope: 'col' }, 'Latency'),
        ),
      ),
      el(
        'tbody',
        {},
        d.attempts.map((a, i) =>
          el(
            'tr',
            {},
            el('td', {}, String(i + 1)),
            el('td', {}, utc(a.at, true)),
            el('td', { class: 'result' }, attemptResult(a)),
            el('td', {}, `${a.latency_ms} ms`),
          ),
        ),
      ),
    ),
  );
}

/** A shell word: the text in single quotes, each quote in it closed, escaped and reopened. */
const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** A curl command that sends this attempt again: its URL, its headers as sent, the delivery's exact body. */
export function curlOf(d: WebhookDelivery, attempt: Attempt): string {
  const headers = Object.entries(attempt.request_headers ?? {}).map(
    ([name, value]) => `-H ${shellQuote(`${name}: ${value}`)}`,
  );
  return ['curl -X POST', shellQuote(d.url), ...headers, `--data-binary ${shellQuote(JSON.stringify(d.payload))}`].join(
    ' \\\n  ',
  );
}

/** Under each attempt: the headers it was sent with, the answer (status, a few headers, 2 KB of body) or the error, and copy as curl. */
function attemptDetails(d: WebhookDelivery): HTMLElement[] {
  return d.attempts.map((a, i) => {
    const copy = el('button', { type: 'button', class: 'copy-curl' }, 'Copy as curl');
    copy.addEventListener('click', () => {
      void navigator.clipboard?.writeText(curlOf(d, a)).then(
        () => (copy.textContent = 'Copied'),
        () => (copy.textContent = 'Copy failed'),
      );
    });
    const sent = a.request_headers
      ? Object.entries(a.request_headers)
          .map(([name, value]) => `${name}: ${value}`)
          .join('\n')
      : '(not sent)';
    const answer = a.response
      ? [
          `HTTP ${a.response.status_code}`,
          ...Object.entries(a.response.headers).map(([name, value]) => `${name}: ${value}`),
          '',
          a.response.body + (a.response.body_truncated ? '\n… (cut at 2 KB)' : ''),
        ].join('\n')
      : `no answer: ${a.error ?? 'unknown'}`;
    const key = `${d.id} attempt ${i + 1}`;
    const details = el(
      'details',
      { class: 'attempt', open: state.openDeliveries.has(key), dataset: { attempt: String(i + 1) } },
      el('summary', {}, `Attempt ${i + 1}: request headers and answer`),
      a.request_headers ? copy : null,
      el('h4', {}, 'Request headers'),
      el('pre', { class: 'request-headers' }, sent),
      el('h4', {}, 'Answer'),
      el('pre', { class: 'answer' }, answer),
    );
    keepOpenAcrossRedraws(details, key);
    return details;
  });
}

/** The list is redrawn as attempts settle: what the user opened stays open. */
function keepOpenAcrossRedraws(details: HTMLDetailsElement, key: string): void {
  details.addEventListener('toggle', () => {
    if (details.open) state.openDeliveries.add(key);
    else state.openDeliveries.delete(key);
  });
}

function deliveryItem(d: WebhookDelivery, blocker: WebhookDelivery | undefined): HTMLElement {
  const last = d.attempts[d.attempts.length - 1];
  const outcome = last ? attemptResult(last) : blocker ? null : 'about to be sent';
  const waiting = blocker
    ? el(
        'span',
        { class: 'waiting' },
        `waiting behind ${blocker.event_type} to this endpoint (${blocker.attempts.length ? `failing, ${plural(blocker.attempts.length, 'attempt')} so far` : 'not sent yet'}): deliveries go out in order`,
      )
    : null;
  const details = el(
    'details',
    { open: state.openDeliveries.has(d.id) },
    el('summary', {}, 'Request, response and attempts'),
    el(
      'p',
      { class: 'small' },
      'To ',
      el('code', { class: 'url' }, urlText(d.url)),
      ' · event ',
      el('code', {}, d.event_id),
      ' · delivery ',
      el('code', {}, d.id),
    ),
    d.next_attempt_at && !blocker
      ? el('p', { class: 'small' }, `Next attempt at ${utc(d.next_attempt_at, true)} (tenant clock)`)
      : null,
    attemptsTable(d),
    ...attemptDetails(d),
    el('h3', {}, 'Request payload'),
    el('pre', {}, JSON.stringify(d.payload, null, 2)),
    el('h3', {}, 'Last response body'),
    el('pre', {}, d.last_response_body === undefined ? '(none)' : d.last_response_body || '(empty)'),
  );
  keepOpenAcrossRedraws(details, d.id);
  return el(
    'li',
    {
      class: 'delivery',
      dataset: {
        deliveryId: d.id,
        eventType: d.event_type,
        status: d.status,
        endpointId: d.endpoint_id,
        ...(blocker ? { waiting: blocker.id } : {}),
      },
    },
    el(
      'div',
      { class: 'row' },
      el('span', {}, badge(d.status, 'status'), ' ', el('code', { class: 'endpoint url' }, urlText(d.url))),
      el(
        'button',
        { type: 'button', 'aria-label': `Retry ${d.event_type} delivery to ${d.url}`, onclick: () => void retry(d) },
        'Retry',
      ),
    ),
    el(
      'p',
      { class: 'meta muted small' },
      plural(d.attempts.length, 'attempt'),
      outcome ? ` · ${outcome}` : '',
      waiting ? ' · ' : '',
      waiting,
    ),
    details,
  );
}

async function retry(d: WebhookDelivery): Promise<void> {
  try {
    await api('POST', `/sandbox/webhook-deliveries/${encodeURIComponent(d.id)}/retry`);
    sayAboutJob('op-message', `Retry of ${d.event_type} queued.`);
  } catch (error) {
    sayAboutJob('op-message', describe(error), true);
  }
  refreshDeliveriesAfterAction();
}

export function wireDeliveries(): void {
  $('deliveries-refresh').addEventListener('click', refreshDeliveriesAfterAction);
}
