// The sandbox console. Plain browser JavaScript, no build step. Everything it shows comes
// from the public API (with the x-api-key header) and is put in the page as text only.
'use strict';
(() => {
  const LIFECYCLE = ['CREATED', 'PICKING_STARTED', 'PICKING_FINISHED', 'CHECKING_OUT_STARTED', 'CHECKED_OUT',
    'GOING_TO_DESTINATION_STARTED', 'ARRIVED_TO_DESTINATION', 'DELIVERING_STARTED', 'CLIENT_RECEIVED'];
  const STATES = [...LIFECYCLE, 'CANCELLED'];
  const FINAL = new Set(['CLIENT_RECEIVED', 'CANCELLED']);
  const RECIPIENT_LABELS = {
    CREATED: 'Order received', PICKING_STARTED: 'Picking your items', PICKING_FINISHED: 'Items picked',
    CHECKING_OUT_STARTED: 'Checking out', CHECKED_OUT: 'Ready to leave the store',
    GOING_TO_DESTINATION_STARTED: 'On the way', ARRIVED_TO_DESTINATION: 'Arrived at your address',
    DELIVERING_STARTED: 'Handing over your order', CLIENT_RECEIVED: 'Delivered',
  };
  const KEY_SLOT = 'lastmile-console-key';
  // The spec's formats, checked before sending so a typo costs nothing and reads as a sentence.
  const DELIVERY_CODE = /^[0-9]{4}$/;
  const WEBHOOK_SECRET = /^(whsec_)?[A-Za-z0-9+/]+={0,2}$/;
  const FORMAT_SENTENCES = {
    delivery_code: 'The delivery code is exactly 4 digits.',
    secret: 'The signing secret must be base64 (letters, digits, + and /, with up to two = at the end), optionally starting with whsec_.',
  };
  const MAX_CLOCK_SECONDS = 315360000;
  const UNIT_NAMES = { 1: ['second', 'seconds'], 60: ['minute', 'minutes'], 3600: ['hour', 'hours'], 86400: ['day', 'days'] };
  // After an action, webhook attempts finish on their own; look again a few times, then stop.
  const SETTLE_DELAYS_MS = [400, 1000, 2500];

  const $ = (id) => document.getElementById(id);
  const state = { key: null, route: null, jobs: [], job: null, skewMs: 0, frozenAt: null, openDeliveries: new Set(), settle: 0 };
  let source = null;
  let reconnectTimer = null;
  let reconnectDelay = 1000;
  let listTimer = null;
  let jobTimer = null;

  // ---- small helpers ----------------------------------------------------------------

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'class') node.className = value;
      else if (name === 'dataset') Object.assign(node.dataset, value);
      else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function utc(iso, withSeconds) {
    if (!iso) return '';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    const s = d.toISOString();
    return `${s.slice(0, 10)} ${s.slice(11, withSeconds ? 19 : 16)} UTC`;
  }

  function slotWindow(slot) {
    if (!slot) return '';
    const from = new Date(slot.from).toISOString();
    const to = new Date(slot.to).toISOString();
    const toText = from.slice(0, 10) === to.slice(0, 10) ? to.slice(11, 16) : `${to.slice(0, 10)} ${to.slice(11, 16)}`;
    return `${from.slice(0, 10)} ${from.slice(11, 16)}–${toText} UTC`;
  }

  function badge(value, kind) {
    return el('span', { class: 'badge', dataset: kind === 'status' ? { status: value } : { state: value } }, value);
  }

  function setBadge(node, value) {
    node.textContent = value;
    node.dataset.state = value;
  }

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || `HTTP ${status}`);
      this.status = status;
      this.code = body && body.code;
      this.body = body || {};
    }
  }

  async function api(method, path, body) {
    const headers = { 'x-api-key': state.key, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    const text = await res.text();
    let parsed = null;
    try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
    if (res.status === 401) { signOut('That key was refused by the server.'); throw new ApiError(401, parsed); }
    if (!res.ok) throw new ApiError(res.status, parsed);
    return parsed;
  }

  function describe(error) {
    if (!(error instanceof ApiError)) return `Could not reach the server: ${error.message}`;
    if (error.code === 'INVALID_DELIVERY_CODE') {
      const left = error.body.attempts_remaining;
      return `Wrong delivery code. ${left} attempt${left === 1 ? '' : 's'} left before the final step locks.`;
    }
    const errors = error.body.errors || [];
    const sentences = errors.map((e) => (/pattern/.test(String(e.msg)) ? FORMAT_SENTENCES[e.param] || `${e.param} has the wrong format.` : null));
    if (errors.length && sentences.every(Boolean)) return sentences.join(' ');
    const details = errors.map((e, i) => sentences[i] || `${e.param || 'body'} ${e.msg}`).join('; ');
    return `${error.code || error.status}: ${error.message}${details ? ` (${details})` : ''}`;
  }

  /** Shows an error beside the control that caused it (empty text clears it). */
  function showError(id, text) {
    $(id).textContent = text || '';
  }

  function confirmDialog(title, text, okLabel) {
    const dialog = $('confirm');
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    $('confirm-ok').textContent = okLabel;
    const opener = document.activeElement;
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => {
        if (opener && opener.focus) opener.focus();
        resolve(dialog.returnValue === 'ok');
      }, { once: true });
      dialog.returnValue = '';
      dialog.showModal();
    });
  }

  // ---- key and routing --------------------------------------------------------------

  function storedKey() {
    return sessionStorage.getItem(KEY_SLOT) || localStorage.getItem(KEY_SLOT);
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY_SLOT);
    localStorage.removeItem(KEY_SLOT);
    state.key = null;
    disconnect();
    $('key-error').textContent = message || '';
    render();
  }

  async function openTenant(key, remember) {
    const res = await fetch('/console/stream-tickets', { method: 'POST', headers: { 'x-api-key': key }, cache: 'no-store' });
    if (!res.ok) throw new Error(res.status === 401 ? 'That key was refused by the server.' : `The server answered ${res.status}.`);
    sessionStorage.setItem(KEY_SLOT, key);
    if (remember) localStorage.setItem(KEY_SLOT, key);
    state.key = key;
    const { ticket, client_id: clientId } = await res.json();
    $('tenant-id').textContent = clientId;
    connect(ticket);
  }

  function parseRoute() {
    const hash = location.hash.replace(/^#/, '');
    const match = /^\/jobs\/([^/?#]+)$/.exec(hash);
    if (match) return { name: 'job', id: decodeURIComponent(match[1]) };
    const query = new URLSearchParams(hash.split('?')[1] || '');
    return { name: 'jobs', filter: STATES.includes(query.get('state')) ? query.get('state') : '' };
  }

  function render() {
    const signedIn = Boolean(state.key);
    $('sign-in').hidden = signedIn;
    $('tenant-bar').hidden = !signedIn;
    $('tenant-actions').hidden = !signedIn;
    if (!signedIn) {
      $('jobs-view').hidden = true;
      $('job-view').hidden = true;
      document.title = 'Console · lastmile sandbox';
      $('api-key').focus();
      return;
    }
    const previous = state.route;
    state.route = parseRoute();
    const isJob = state.route.name === 'job';
    $('jobs-view').hidden = isJob;
    $('job-view').hidden = !isJob;
    if (isJob) {
      if (!previous || previous.name !== 'job' || previous.id !== state.route.id) {
        state.job = null;
        state.openDeliveries.clear();
        $('job-title').textContent = 'Loading…';
        $('deliveries-list').replaceChildren();
        $('op-message').textContent = '';
      }
      refreshJob(true);
    } else {
      $('state-filter').value = state.route.filter;
      document.title = 'Jobs · lastmile sandbox console';
      refreshJobs();
    }
    if (previous && (previous.name !== state.route.name || previous.id !== state.route.id)) $('main').focus();
  }

  // ---- live events ------------------------------------------------------------------

  function setLive(on, text) {
    const live = $('live');
    live.dataset.live = on ? 'on' : 'off';
    live.textContent = text;
  }

  function connect(ticket) {
    disconnect();
    source = new EventSource(`/console/events?ticket=${encodeURIComponent(ticket)}`);
    source.addEventListener('ready', () => {
      reconnectDelay = 1000;
      setLive(true, 'Live');
      // Whatever happened while the stream was down is fetched afresh.
      if (state.route) refreshCurrent();
    });
    source.addEventListener('job', (message) => {
      let event;
      try { event = JSON.parse(message.data); } catch { return; }
      onJobEvent(event);
    });
    source.addEventListener('delivery', (message) => {
      let event;
      try { event = JSON.parse(message.data); } catch { return; }
      if (state.route.name === 'job' && state.route.id === event.job_id) scheduleDeliveriesRefresh();
    });
    source.onerror = () => {
      // Tickets are single-use, so reconnecting means asking for a new one.
      disconnect();
      setLive(false, 'Reconnecting…');
      reconnectTimer = setTimeout(reconnect, reconnectDelay);
      reconnectDelay = Math.min(reconnectDelay * 2, 30000);
    };
  }

  async function reconnect() {
    if (!state.key) return;
    try {
      const res = await fetch('/console/stream-tickets', { method: 'POST', headers: { 'x-api-key': state.key }, cache: 'no-store' });
      if (res.status === 401) return signOut('That key is no longer accepted.');
      if (!res.ok) throw new Error(String(res.status));
      connect((await res.json()).ticket);
    } catch {
      setLive(false, 'Offline');
      reconnectTimer = setTimeout(reconnect, reconnectDelay);
      reconnectDelay = Math.min(reconnectDelay * 2, 30000);
    }
  }

  function disconnect() {
    if (source) source.close();
    source = null;
    clearTimeout(reconnectTimer);
    setLive(false, 'Not connected');
  }

  function onJobEvent(event) {
    if (!state.route) return;
    if (state.route.name === 'jobs') {
      clearTimeout(listTimer);
      listTimer = setTimeout(() => refreshJobs(event.job_id), 80);
    } else if (state.route.id === event.job_id) {
      clearTimeout(jobTimer);
      jobTimer = setTimeout(() => refreshJob(true), 60);
    }
  }

  function refreshCurrent() {
    refreshClock();
    refreshEndpoints();
    if (state.route.name === 'job') refreshJob(true);
    else refreshJobs();
  }

  // ---- tenant bar -------------------------------------------------------------------

  async function refreshClock() {
    try {
      showClock(await api('GET', '/sandbox/clock'));
    } catch { /* shown elsewhere */ }
  }

  function showClock(clock) {
    state.skewMs = new Date(clock.now).getTime() - Date.now();
    state.frozenAt = clock.frozen ? clock.now : null;
    $('clock-freeze').textContent = clock.frozen ? 'Unfreeze' : 'Freeze';
    $('clock-freeze').setAttribute('aria-pressed', String(clock.frozen));
    const offset = Math.abs(clock.offset_seconds);
    const parts = [];
    if (offset >= 86400) parts.push(`${Math.floor(offset / 86400)}d`);
    if (offset % 86400 >= 3600) parts.push(`${Math.floor((offset % 86400) / 3600)}h`);
    if (offset % 3600 >= 60) parts.push(`${Math.floor((offset % 3600) / 60)}m`);
    if (offset % 60 || !parts.length) parts.push(`${offset % 60}s`);
    const drift = offset === 0 ? 'real time' : `${parts.join(' ')} ${clock.offset_seconds > 0 ? 'ahead' : 'behind'}`;
    $('clock-offset').textContent = clock.frozen ? `(frozen, ${drift})` : `(${drift})`;
    tickClock();
  }

  function tickClock() {
    const now = state.frozenAt ?? new Date(Date.now() + state.skewMs).toISOString();
    const node = $('clock-now');
    node.dateTime = now;
    node.textContent = utc(now, true);
  }

  /** Why an advance by `amount` units cannot be sent, in the unit the user picked; null when it can. */
  function clockProblem(amount, unit) {
    const [one, many] = UNIT_NAMES[unit] || ['second', 'seconds'];
    const most = Math.floor(MAX_CLOCK_SECONDS / unit);
    if (!Number.isInteger(amount) || amount < 1) return `Enter a whole number of ${many}, 1 or more.`;
    if (amount > most) return `The clock moves at most ten years at a time: ${most.toLocaleString('en-US')} ${most === 1 ? one : many}.`;
    return null;
  }

  $('clock-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const amount = Number($('clock-amount').value);
    const unit = Number($('clock-unit').value);
    const problem = clockProblem(amount, unit);
    showError('clock-error', problem);
    if (problem) return;
    try {
      showClock(await api('POST', '/sandbox/clock/advance', { seconds: amount * unit }));
      if (state.route.name === 'job') { state.settle = 0; refreshDeliveries(); }
    } catch (error) {
      const [, many] = UNIT_NAMES[unit] || ['second', 'seconds'];
      showError('clock-error', error instanceof ApiError && error.code === 'VALIDATION_FAILED'
        ? `The clock cannot move ${amount.toLocaleString('en-US')} ${many} forward: ${error.message}`
        : describe(error));
    }
  });

  $('clock-freeze').addEventListener('click', async () => {
    try {
      showClock(await api('POST', state.frozenAt ? '/sandbox/clock/unfreeze' : '/sandbox/clock/freeze'));
      if (state.route.name === 'job') { state.settle = 0; refreshDeliveries(); }
    } catch (error) {
      flash(describe(error), true);
    }
  });

  async function refreshEndpoints() {
    let endpoints;
    try { endpoints = await api('GET', '/sandbox/webhook-endpoints'); } catch { return; }
    $('endpoint-count').textContent = String(endpoints.length);
    $('endpoint-list').replaceChildren(...endpoints.map((endpoint) => el('li', {},
      el('code', {}, endpoint.url),
      el('button', { type: 'button', class: 'danger', 'aria-label': `Remove endpoint ${endpoint.url}`, onclick: () => removeEndpoint(endpoint) }, 'Remove'))));
    if (!endpoints.length) $('endpoint-list').append(el('li', { class: 'muted' }, 'None yet.'));
  }

  async function removeEndpoint(endpoint) {
    showError('endpoint-error', '');
    try {
      await api('DELETE', `/sandbox/webhook-endpoints/${encodeURIComponent(endpoint.id)}`);
      $('endpoint-secret').hidden = true;
      refreshEndpoints();
      $('endpoint-url').focus();
    } catch (error) {
      showError('endpoint-error', describe(error));
    }
  }

  $('endpoint-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    // The secret on screen belongs to the last endpoint added; whatever happens now, it no longer applies.
    $('endpoint-secret').hidden = true;
    $('endpoint-secret').replaceChildren();
    const url = $('endpoint-url').value.trim();
    const ownSecret = $('endpoint-secret-input').value.trim();
    const problem = !url ? 'Enter the URL your receiver listens on, e.g. http://127.0.0.1:9000/webhooks.'
      : ownSecret && !WEBHOOK_SECRET.test(ownSecret) ? FORMAT_SENTENCES.secret : null;
    showError('endpoint-error', problem);
    if (problem) return;
    try {
      const created = await api('POST', '/sandbox/webhook-endpoints', ownSecret ? { url, secret: ownSecret } : { url });
      $('endpoint-url').value = '';
      $('endpoint-secret-input').value = '';
      const secret = $('endpoint-secret');
      secret.replaceChildren('Signing secret (shown only now): ', el('code', {}, created.secret));
      secret.hidden = false;
      refreshEndpoints();
    } catch (error) {
      showError('endpoint-error', describe(error));
    }
  });

  $('reset').addEventListener('click', async () => {
    const ok = await confirmDialog('Reset this tenant?',
      'Every job, slot, webhook endpoint and delivery of this tenant is deleted, and its clock goes back to real time. Other tenants are not touched.',
      'Reset tenant');
    if (!ok) return;
    showError('tenant-error', '');
    try {
      await api('POST', '/sandbox/reset');
      $('endpoint-secret').hidden = true;
      location.hash = '#/jobs';
      refreshCurrent();
      flash('Tenant reset.');
    } catch (error) {
      showError('tenant-error', describe(error));
    }
  });

  $('sign-out').addEventListener('click', () => signOut(''));

  /** Status for actions not tied to a job; the job page has its own. */
  function flash(text, bad) {
    const target = state.route && state.route.name === 'job' ? $('op-message') : $('jobs-count');
    target.textContent = text;
    target.classList.toggle('bad', Boolean(bad));
  }

  // ---- jobs list --------------------------------------------------------------------

  for (const s of STATES) $('state-filter').append(el('option', { value: s }, s));
  $('state-filter').addEventListener('change', () => {
    const value = $('state-filter').value;
    location.hash = value ? `#/jobs?state=${encodeURIComponent(value)}` : '#/jobs';
  });

  async function refreshJobs(changedId) {
    const filter = state.route.filter;
    let jobs;
    try {
      jobs = await api('GET', `/sandbox/jobs?limit=200${filter ? `&state=${encodeURIComponent(filter)}` : ''}`);
    } catch (error) {
      flash(describe(error), true);
      return;
    }
    if (state.route.name !== 'jobs' || state.route.filter !== filter) return;
    state.jobs = jobs;
    $('jobs-body').replaceChildren(...jobs.map((job) => el('tr', { class: job.id === changedId ? 'flash' : null, dataset: { jobId: job.id } },
      el('td', {}, el('a', { href: `#/jobs/${encodeURIComponent(job.id)}` }, job.client_reference)),
      el('td', {}, badge(job.state)),
      el('td', {}, slotWindow(job.slot)),
      el('td', {}, el('time', { datetime: job.created_at }, utc(job.created_at))))));
    $('jobs-table').hidden = jobs.length === 0;
    $('jobs-empty').hidden = jobs.length !== 0 || Boolean(filter);
    $('jobs-no-match').hidden = jobs.length !== 0 || !filter;
    $('jobs-no-match-state').textContent = filter;
    const count = $('jobs-count');
    count.classList.remove('bad');
    count.textContent = `${jobs.length} job${jobs.length === 1 ? '' : 's'}${filter ? ` in ${filter}` : ''}`;
  }

  // ---- job page ---------------------------------------------------------------------

  async function refreshJob(withDeliveries) {
    const id = state.route.id;
    let job;
    try {
      job = await api('GET', `/jobs/${encodeURIComponent(id)}`);
    } catch (error) {
      if (state.route.name === 'job' && state.route.id === id) {
        $('job-title').textContent = 'Job not found';
        $('job-error').textContent = describe(error);
      }
      return;
    }
    if (state.route.name !== 'job' || state.route.id !== id) return;
    $('job-error').textContent = '';
    const first = !state.job || state.job.id !== job.id;
    state.job = job;
    showJob(job, first);
    if (withDeliveries) { state.settle = 0; refreshDeliveries(); }
  }

  function showJob(job, first) {
    document.title = `${job.client_reference} · lastmile sandbox console`;
    $('job-title').textContent = job.client_reference;
    setBadge($('job-state'), job.state);
    $('job-id').textContent = job.id;
    const final = FINAL.has(job.state);

    // What the recipient sees.
    const destination = job.destination || {};
    $('r-route').textContent = `${(job.slot && job.slot.store && job.slot.store.name) || 'Store'} → ${[destination.name, destination.address].filter(Boolean).join(', ')}`;
    $('r-window').textContent = `Delivery window: ${slotWindow(job.slot)}`;
    $('r-code').hidden = !job.delivery_code || job.state === 'CANCELLED';
    $('r-code-value').textContent = job.delivery_code || '';
    $('r-cancelled').hidden = job.state !== 'CANCELLED';
    $('r-cancelled').textContent = `This delivery was cancelled${job.cancellation_reason ? `: ${job.cancellation_reason}` : '.'}`;
    const reached = new Map();
    for (const entry of job.history || []) if (!reached.has(entry.type)) reached.set(entry.type, entry.at);
    const current = LIFECYCLE.indexOf(job.state);
    $('r-timeline').replaceChildren(...LIFECYCLE.map((step, i) => {
      const isCurrent = step === job.state;
      const done = reached.has(step) && !isCurrent;
      return el('li', { class: isCurrent ? 'current' : done ? 'done' : null, 'aria-current': isCurrent ? 'step' : null },
        RECIPIENT_LABELS[step],
        reached.has(step) ? el('span', { class: 'when' }, utc(reached.get(step))) : null,
        el('span', { class: 'sr-only' }, isCurrent ? ' (current step)' : done || i < current ? ' (done)' : ''));
    }));

    // The instructions form is refilled only when nobody is typing in it.
    const form = $('instructions-form');
    if (first || !form.contains(document.activeElement)) {
      $('i-comment').value = job.job_comment || '';
      const contactless = (job.contact_less && job.contact_less.comment) || '';
      const select = $('i-contactless');
      if (contactless && ![...select.options].some((o) => o.value === contactless)) select.append(el('option', { value: contactless }, contactless));
      select.value = contactless;
      $('i-cash').value = (job.contact_less && job.contact_less.cash_receiver) || '';
    }
    for (const field of form.elements) field.disabled = final;
    $('instructions-note').textContent = final ? `The job is ${job.state}; its instructions can no longer change.` : '';

    // Operator controls.
    const next = LIFECYCLE[current + 1];
    const needsCode = Boolean(job.add_delivery_code);
    const nextButton = $('op-next');
    nextButton.hidden = final;
    $('op-final').hidden = !final;
    $('op-final').textContent = `The job is ${job.state}: final, nothing more to drive.`;
    if (next === 'CLIENT_RECEIVED') nextButton.textContent = needsCode ? 'Next: CLIENT_RECEIVED (needs the code below)' : 'Advance one step → CLIENT_RECEIVED';
    else nextButton.textContent = `Advance one step → ${next}`;
    nextButton.disabled = final || (next === 'CLIENT_RECEIVED' && needsCode);
    const targets = final ? [] : LIFECYCLE.slice(current + 1).filter((s) => !(needsCode && s === 'CLIENT_RECEIVED'));
    const to = $('op-to');
    const previousChoice = to.value;
    to.replaceChildren(...targets.map((s) => el('option', { value: s }, s)));
    if (targets.includes(previousChoice)) to.value = previousChoice;
    $('op-code').hidden = !needsCode;
    $('op-code-label').hidden = !needsCode;
    $('op-to-form').hidden = targets.length === 0;
    $('op-complete-form').hidden = final;
    $('op-cancel-form').hidden = final;
    $('job-json').textContent = JSON.stringify(job, null, 2);
  }

  async function act(run, success, errorId) {
    const message = $('op-message');
    for (const id of ['op-to-error', 'op-code-error']) showError(id, '');
    try {
      const job = await run();
      message.classList.remove('bad');
      message.textContent = success(job);
      if (state.route.name === 'job' && job && job.id === state.route.id) { state.job = job; showJob(job, false); }
      state.settle = 0;
      refreshDeliveries();
    } catch (error) {
      if (errorId) {
        message.textContent = '';
        showError(errorId, describe(error));
      } else {
        message.classList.add('bad');
        message.textContent = describe(error);
      }
      if (error instanceof ApiError && state.route.name === 'job') refreshJob(false);
    }
  }

  const jobPath = (suffix) => `/sandbox/jobs/${encodeURIComponent(state.route.id)}/${suffix}`;

  $('op-next').addEventListener('click', () => act(() => api('POST', jobPath('advance'), {}), (job) => `Moved to ${job.state}.`));
  $('op-to-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const to = $('op-to').value;
    act(() => api('POST', jobPath('advance'), { to }), (job) => `Moved to ${job.state}.`, 'op-to-error');
  });
  $('op-complete-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const body = { to: 'CLIENT_RECEIVED' };
    if (state.job && state.job.add_delivery_code) {
      body.delivery_code = $('op-code').value.trim();
      // A malformed code is refused before sending: it must never cost one of the attempts.
      if (!DELIVERY_CODE.test(body.delivery_code)) {
        showError('op-code-error', FORMAT_SENTENCES.delivery_code);
        $('op-code').focus();
        return;
      }
    }
    act(() => api('POST', jobPath('advance'), body), () => {
      $('op-code').value = '';
      return 'Delivered: the job is CLIENT_RECEIVED.';
    }, 'op-code-error');
  });
  $('op-cancel-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const reason = $('op-reason').value.trim();
    const ok = await confirmDialog('Cancel this job?', 'A cancelled job is final: it cannot move or change again.', 'Cancel job');
    if (!ok) return;
    act(() => api('POST', `/jobs/${encodeURIComponent(state.route.id)}/cancel`, reason ? { reason } : {}), () => 'Cancelled.');
  });
  $('instructions-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const contactLess = {};
    if ($('i-contactless').value) contactLess.comment = $('i-contactless').value;
    if ($('i-cash').value.trim()) contactLess.cash_receiver = $('i-cash').value.trim();
    const body = { job_comment: $('i-comment').value, contact_less: contactLess };
    act(() => api('PUT', jobPath('recipient-instructions'), body), () => 'Instructions saved (JOB_COMMENT_UPDATED).');
  });

  // ---- deliveries -------------------------------------------------------------------

  // Attempts settle in bursts (a job's steps, retries after a clock advance): one fetch per burst.
  let deliveriesRefreshTimer = null;
  function scheduleDeliveriesRefresh() {
    if (deliveriesRefreshTimer) return;
    deliveriesRefreshTimer = setTimeout(() => { deliveriesRefreshTimer = null; refreshDeliveries(); }, 150);
  }

  async function refreshDeliveries() {
    const id = state.route.id;
    let deliveries;
    try {
      deliveries = await api('GET', `/sandbox/webhook-deliveries?limit=200&job_id=${encodeURIComponent(id)}`);
    } catch {
      return;
    }
    if (state.route.name !== 'job' || state.route.id !== id) return;
    $('deliveries-empty').hidden = deliveries.length !== 0;
    $('deliveries-list').replaceChildren(...eventGroups(deliveries));
    const unsettled = deliveries.some((d) => d.status === 'PENDING' && (d.attempts.length === 0 || dueSoon(d)));
    if (unsettled && state.settle < SETTLE_DELAYS_MS.length) {
      setTimeout(() => { if (state.route.name === 'job' && state.route.id === id) refreshDeliveries(); }, SETTLE_DELAYS_MS[state.settle]);
      state.settle += 1;
    }
  }

  function dueSoon(delivery) {
    return delivery.next_attempt_at && new Date(delivery.next_attempt_at).getTime() - (Date.now() + state.skewMs) < 3000;
  }

  /**
   * Deliveries go out in order per job and endpoint: only the oldest pending one of a chain
   * is sent, the others wait behind it. Returns, per delivery id, the one it waits behind.
   */
  function waitingBehind(deliveries) {
    const oldestFirst = [...deliveries].sort((a, b) => a.created_at.localeCompare(b.created_at));
    const head = new Map();
    const behind = new Map();
    for (const d of oldestFirst) {
      if (d.status !== 'PENDING') continue;
      if (head.has(d.endpoint_id)) behind.set(d.id, head.get(d.endpoint_id));
      else head.set(d.endpoint_id, d);
    }
    return behind;
  }

  /** One entry per event (newest first), with one row per endpoint it goes to. */
  function eventGroups(deliveries) {
    const behind = waitingBehind(deliveries);
    const groups = new Map();
    for (const d of deliveries) {
      if (!groups.has(d.event_id)) groups.set(d.event_id, []);
      groups.get(d.event_id).push(d);
    }
    return [...groups.values()].map((group) => el('li', { class: 'event', dataset: { eventType: group[0].event_type, eventId: group[0].event_id } },
      el('span', { class: 'type' }, group[0].event_type),
      el('span', { class: 'muted small' }, ' · ', el('time', { datetime: group[0].created_at }, utc(group[0].created_at, true)),
        ` · to ${group.length} endpoint${group.length === 1 ? '' : 's'}`),
      el('ul', { class: 'plain' }, group.map((d) => deliveryItem(d, behind.get(d.id))))));
  }

  function deliveryItem(d, blocker) {
    const last = d.attempts[d.attempts.length - 1];
    const outcome = last ? (last.status_code ? `HTTP ${last.status_code}` : last.error || '')
      : blocker ? null : 'about to be sent';
    const waiting = blocker ? el('span', { class: 'waiting' }, `waiting behind ${blocker.event_type} to this endpoint (${blocker.attempts.length ? `failing, ${blocker.attempts.length} attempt${blocker.attempts.length === 1 ? '' : 's'} so far` : 'not sent yet'}): deliveries go out in order`) : null;
    const details = el('details', { open: state.openDeliveries.has(d.id) },
      el('summary', {}, 'Request, response and attempts'),
      el('p', { class: 'small' }, 'To ', el('code', {}, d.url), ' · event ', el('code', {}, d.event_id), ' · delivery ', el('code', {}, d.id)),
      d.next_attempt_at && !blocker ? el('p', { class: 'small' }, `Next attempt at ${utc(d.next_attempt_at, true)} (tenant clock)`) : null,
      d.attempts.length ? el('div', { class: 'scroll' }, el('table', {},
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, '#'), el('th', { scope: 'col' }, 'At (tenant clock)'), el('th', { scope: 'col' }, 'Result'), el('th', { scope: 'col' }, 'Latency'))),
        el('tbody', {}, d.attempts.map((a, i) => el('tr', {},
          el('td', {}, String(i + 1)), el('td', {}, utc(a.at, true)),
          el('td', {}, [a.status_code ? `HTTP ${a.status_code}` : '', a.error || ''].filter(Boolean).join(' · ')),
          el('td', {}, `${a.latency_ms} ms`)))))) : null,
      el('h3', {}, 'Request payload'),
      el('pre', {}, JSON.stringify(d.payload, null, 2)),
      el('h3', {}, 'Last response body'),
      el('pre', {}, d.last_response_body === undefined ? '(none)' : d.last_response_body || '(empty)'));
    details.addEventListener('toggle', () => {
      if (details.open) state.openDeliveries.add(d.id);
      else state.openDeliveries.delete(d.id);
    });
    return el('li', { class: 'delivery', dataset: { deliveryId: d.id, eventType: d.event_type, status: d.status, endpointId: d.endpoint_id, waiting: blocker ? blocker.id : null } },
      el('div', { class: 'row' },
        el('span', {}, badge(d.status, 'status'), ' ', el('code', { class: 'endpoint' }, d.url)),
        el('button', { type: 'button', 'aria-label': `Retry ${d.event_type} delivery to ${d.url}`, onclick: () => retry(d) }, 'Retry')),
      el('p', { class: 'meta muted small' },
        `${d.attempts.length} attempt${d.attempts.length === 1 ? '' : 's'}`, outcome ? ` · ${outcome}` : '', waiting ? ' · ' : '', waiting),
      details);
  }

  async function retry(d) {
    try {
      await api('POST', `/sandbox/webhook-deliveries/${encodeURIComponent(d.id)}/retry`);
      $('op-message').classList.remove('bad');
      $('op-message').textContent = `Retry of ${d.event_type} queued.`;
    } catch (error) {
      $('op-message').classList.add('bad');
      $('op-message').textContent = describe(error);
    }
    state.settle = 0;
    refreshDeliveries();
  }

  $('deliveries-refresh').addEventListener('click', () => { state.settle = 0; refreshDeliveries(); });

  // ---- start ------------------------------------------------------------------------

  $('key-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const key = $('api-key').value.trim();
    $('key-error').textContent = '';
    try {
      await openTenant(key, $('remember').checked);
      $('api-key').value = '';
      render();
      refreshClock();
      refreshEndpoints();
    } catch (error) {
      $('key-error').textContent = error.message;
    }
  });

  window.addEventListener('hashchange', render);
  setInterval(() => { if (state.key) tickClock(); }, 1000);

  const saved = storedKey();
  if (saved) {
    openTenant(saved, false).then(() => { render(); refreshClock(); refreshEndpoints(); }, (error) => signOut(error.message));
  } else {
    render();
  }
})();
