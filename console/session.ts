/**
 * The signed-in tenant: its key (kept in this browser only) and its live event stream.
 * `EventSource` cannot send headers, so the key is traded for a single-use ticket first.
 */
import { scheduleDeliveriesRefresh } from './deliveries';
import { $ } from './dom';
import { refreshJob } from './job-page';
import { refreshJobs } from './jobs-list';
import { refreshCurrent, render } from './router';
import { currentJobId, state } from './state';
import type { StreamTicketAnswer } from '../server/console/ticket-answer';

const KEY_SLOT = 'lastmile-console-key';
const FIRST_RECONNECT_DELAY_MS = 1000;
const LONGEST_RECONNECT_DELAY_MS = 30000;

let source: EventSource | null = null;
let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
let reconnectDelay = FIRST_RECONNECT_DELAY_MS;
let listTimer: ReturnType<typeof setTimeout> | undefined;
let jobTimer: ReturnType<typeof setTimeout> | undefined;

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_SLOT) || localStorage.getItem(KEY_SLOT);
}

export function signOut(message: string): void {
  sessionStorage.removeItem(KEY_SLOT);
  localStorage.removeItem(KEY_SLOT);
  state.key = null;
  disconnect();
  $('key-error').textContent = message;
  render();
}

const askTicket = (key: string) =>
  fetch('/console/stream-tickets', { method: 'POST', headers: { 'x-api-key': key }, cache: 'no-store' });

export async function openTenant(key: string, remember: boolean): Promise<void> {
  const res = await askTicket(key);
  if (!res.ok)
    throw new Error(res.status === 401 ? 'That key was refused by the server.' : `The server answered ${res.status}.`);
  sessionStorage.setItem(KEY_SLOT, key);
  if (remember) localStorage.setItem(KEY_SLOT, key);
  state.key = key;
  const { ticket, client_id: clientId } = (await res.json()) as StreamTicketAnswer;
  $('tenant-id').textContent = clientId;
  connect(ticket);
}

function setLive(on: boolean, text: string): void {
  const live = $('live');
  live.dataset.live = on ? 'on' : 'off';
  live.textContent = text;
}

function parsed<T>(message: MessageEvent): T | null {
  try {
    return JSON.parse(String(message.data)) as T;
  } catch {
    return null;
  }
}

function connect(ticket: string): void {
  disconnect();
  const stream = new EventSource(`/console/events?ticket=${encodeURIComponent(ticket)}`);
  source = stream;
  stream.addEventListener('ready', () => {
    reconnectDelay = FIRST_RECONNECT_DELAY_MS;
    setLive(true, 'Live');
    // Whatever happened while the stream was down is fetched afresh.
    if (state.route) refreshCurrent();
  });
  stream.addEventListener('job', (message) => {
    const event = parsed<{ job_id: string }>(message);
    if (event) onJobEvent(event.job_id);
  });
  stream.addEventListener('delivery', (message) => {
    const event = parsed<{ job_id: string }>(message);
    if (event && currentJobId() === event.job_id) scheduleDeliveriesRefresh();
  });
  stream.onerror = () => {
    // Tickets are single-use, so reconnecting means asking for a new one.
    disconnect();
    setLive(false, 'Reconnecting…');
    retryLater();
  };
}

function retryLater(): void {
  reconnectTimer = setTimeout(() => void reconnect(), reconnectDelay);
  reconnectDelay = Math.min(reconnectDelay * 2, LONGEST_RECONNECT_DELAY_MS);
}

async function reconnect(): Promise<void> {
  if (!state.key) return;
  try {
    const res = await askTicket(state.key);
    if (res.status === 401) return signOut('That key is no longer accepted.');
    if (!res.ok) throw new Error(String(res.status));
    connect(((await res.json()) as StreamTicketAnswer).ticket);
  } catch {
    setLive(false, 'Offline');
    retryLater();
  }
}

function disconnect(): void {
  if (source) source.close();
  source = null;
  clearTimeout(reconnectTimer);
  setLive(false, 'Not connected');
}

function onJobEvent(jobId: string): void {
  if (!state.route) return;
  if (state.route.name === 'jobs') {
    clearTimeout(listTimer);
    listTimer = setTimeout(() => void refreshJobs(jobId), 80);
  } else if (state.route.id === jobId) {
    clearTimeout(jobTimer);
    jobTimer = setTimeout(() => void refreshJob(true), 60);
  }
}
