/** The tenant bar: its clock, its webhook endpoints, and reset. */
import { api, ApiError, describe } from './api';
import { refreshDeliveriesAfterAction } from './deliveries';
import { $, clearWhenEdited, confirmDialog, el, flash, form, input, select, showError, urlText, utc } from './dom';
import { MAX_CLOCK_SECONDS, type Clock, type WebhookEndpoint, type WebhookEndpointWithSecret } from './model';
import { currentJobId, state } from './state';

/** The spec's limit on one advance: ten years. */
const UNIT_NAMES: Readonly<Record<number, [string, string]>> = {
  1: ['second', 'seconds'],
  60: ['minute', 'minutes'],
  3600: ['hour', 'hours'],
  86400: ['day', 'days'],
};
const unitNames = (unit: number) => UNIT_NAMES[unit] ?? ['second', 'seconds'];

export async function refreshClock(): Promise<void> {
  try {
    showClock(await api<Clock>('GET', '/sandbox/clock'));
  } catch {
    /* shown elsewhere */
  }
}

function showClock(clock: Clock): void {
  state.skewMs = new Date(clock.now).getTime() - Date.now();
  state.frozenAt = clock.frozen ? clock.now : null;
  const freeze = $('clock-freeze');
  freeze.textContent = clock.frozen ? 'Unfreeze' : 'Freeze';
  freeze.setAttribute('aria-pressed', String(clock.frozen));
  const offset = Math.abs(clock.offset_seconds);
  const parts: string[] = [];
  if (offset >= 86400) parts.push(`${Math.floor(offset / 86400)}d`);
  if (offset % 86400 >= 3600) parts.push(`${Math.floor((offset % 86400) / 3600)}h`);
  if (offset % 3600 >= 60) parts.push(`${Math.floor((offset % 3600) / 60)}m`);
  if (offset % 60 || !parts.length) parts.push(`${offset % 60}s`);
  const drift = offset === 0 ? 'real time' : `${parts.join(' ')} ${clock.offset_seconds > 0 ? 'ahead' : 'behind'}`;
  $('clock-offset').textContent = clock.frozen ? `(frozen, ${drift})` : `(${drift})`;
  tickClock();
}

export function tickClock(): void {
  const now = state.frozenAt ?? new Date(Date.now() + state.skewMs).toISOString();
  const node = $('clock-now', HTMLTimeElement);
  node.dateTime = now;
  node.textContent = utc(now, true);
}

/** Why an advance by `amount` units cannot be sent, in the unit the user picked; null when it can. */
function clockProblem(amount: number, unit: number): string | null {
  const [one, many] = unitNames(unit);
  const most = Math.floor(MAX_CLOCK_SECONDS / unit);
  if (!Number.isInteger(amount) || amount < 1) return `Enter a whole number of ${many}, 1 or more.`;
  if (amount > most)
    return `The clock moves at most ten years at a time: ${most.toLocaleString('en-US')} ${most === 1 ? one : many}.`;
  return null;
}

/** A clock move changes which retries are due: the job page looks at its deliveries again. */
function afterClockMove(clock: Clock): void {
  showClock(clock);
  if (currentJobId() !== null) refreshDeliveriesAfterAction();
}

export async function refreshEndpoints(): Promise<void> {
  let endpoints: WebhookEndpoint[];
  try {
    endpoints = await api<WebhookEndpoint[]>('GET', '/sandbox/webhook-endpoints');
  } catch {
    return;
  }
  $('endpoint-count').textContent = String(endpoints.length);
  $('endpoint-list').replaceChildren(
    ...endpoints.map((endpoint) =>
      el(
        'li',
        {},
        el('code', { class: 'url' }, urlText(endpoint.url)),
        endpoint.relay
          ? el(
              'span',
              { class: 'muted small relay' },
              endpoint.relay.connected ? ' relay · lastmile listen connected ' : ' relay · not connected ',
            )
          : null,
        el(
          'button',
          {
            type: 'button',
            class: 'danger',
            'aria-label': `Remove endpoint ${endpoint.url}`,
            onclick: () => void removeEndpoint(endpoint),
          },
          'Remove',
        ),
      ),
    ),
  );
  if (!endpoints.length) $('endpoint-list').append(el('li', { class: 'muted' }, 'None yet.'));
}

async function removeEndpoint(endpoint: WebhookEndpoint): Promise<void> {
  showError('endpoint-error', '');
  try {
    await api('DELETE', `/sandbox/webhook-endpoints/${encodeURIComponent(endpoint.id)}`);
    $('endpoint-secret').hidden = true;
    void refreshEndpoints();
    input('endpoint-url').focus();
  } catch (error) {
    showError('endpoint-error', describe(error));
  }
}

function wireClock(): void {
  clearWhenEdited('clock-form', 'clock-error');
  form('clock-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const amount = Number(input('clock-amount').value);
    const unit = Number(select('clock-unit').value);
    const problem = clockProblem(amount, unit);
    showError('clock-error', problem);
    if (problem) return;
    try {
      afterClockMove(await api<Clock>('POST', '/sandbox/clock/advance', { seconds: amount * unit }));
    } catch (error) {
      showError(
        'clock-error',
        error instanceof ApiError && error.code === 'VALIDATION_FAILED'
          ? `The clock cannot move ${amount.toLocaleString('en-US')} ${unitNames(unit)[1]} forward. ${describe(error)}`
          : describe(error),
      );
    }
  });
  $('clock-freeze').addEventListener('click', async () => {
    try {
      afterClockMove(await api<Clock>('POST', state.frozenAt ? '/sandbox/clock/unfreeze' : '/sandbox/clock/freeze'));
    } catch (error) {
      flash(describe(error), true);
    }
  });
}

function wireEndpoints(): void {
  clearWhenEdited('endpoint-form', 'endpoint-error');
  form('endpoint-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    // The secret on screen belongs to the last endpoint added; whatever happens now, it no longer applies.
    const secret = $('endpoint-secret');
    secret.hidden = true;
    secret.replaceChildren();
    const url = input('endpoint-url').value.trim();
    const ownSecret = input('endpoint-secret-input').value.trim();
    const problem = url ? null : 'Enter the URL your receiver listens on, e.g. http://127.0.0.1:9000/webhooks.';
    showError('endpoint-error', problem);
    if (problem) return;
    try {
      const created = await api<WebhookEndpointWithSecret>(
        'POST',
        '/sandbox/webhook-endpoints',
        ownSecret ? { url, secret: ownSecret } : { url },
      );
      input('endpoint-url').value = '';
      input('endpoint-secret-input').value = '';
      secret.replaceChildren('Signing secret (shown only now): ', el('code', {}, created.secret));
      secret.hidden = false;
      void refreshEndpoints();
    } catch (error) {
      showError('endpoint-error', describe(error));
    }
  });
}

/** `afterReset` fetches whatever the page shows afresh. */
export function wireTenantBar(afterReset: () => void): void {
  wireClock();
  wireEndpoints();
  $('reset').addEventListener('click', async () => {
    const ok = await confirmDialog(
      'Reset this tenant?',
      'Every job, slot, webhook endpoint, delivery and fault rule of this tenant is deleted, and its clock goes back to real time. Other tenants are not touched.',
      'Reset tenant',
    );
    if (!ok) return;
    showError('tenant-error', '');
    try {
      await api('POST', '/sandbox/reset');
      $('endpoint-secret').hidden = true;
      location.hash = '#/jobs';
      afterReset();
      flash('Tenant reset.');
    } catch (error) {
      showError('tenant-error', describe(error));
    }
  });
}
