/**
 * The console in a real browser (Debian's headless Chromium driven by playwright-core):
 * a job created over the API shows up live, and can be driven to delivery from its page.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { spec } from '../../spec/contract';
import { startServer, type RunningServer } from '../main';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The committed screenshots change only on request, so a test run leaves the tree clean.
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(__dirname, '..', '..', 'docs') : mkdtempSync(join(tmpdir(), 'console-'));
const KEY = 'console-test-key';
const HOSTILE_COMMENT = 'Ring twice <img src=x onerror="document.body.dataset.pwned=1">';

let server: RunningServer;
let receiver: http.Server;
let receiverUrl: string;
const received: Array<{ type: string; job_id: string }> = [];
let browser: Browser;
let page: Page;
const pageProblems: string[] = [];

async function call(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(server.url + path, {
    method,
    headers: { 'x-api-key': KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function createJob(clientReference: string): Promise<string> {
  const slots = await call('POST', '/jobs/availability/v2', spec.components.examples.AvailabilityRequest.value);
  const created = await call('POST', '/jobs', {
    ...spec.components.examples.CreateJobRequestMinimal.value,
    slot_id: slots[0].id,
    client_reference: clientReference,
    add_delivery_code: true,
  });
  return created.job_id;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      received.push({ type: event.type, job_id: event.job.id });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks`;
  server = await startServer({ port: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (error) => pageProblems.push(error.message));
  // Refused API calls (the wrong delivery code's 422) are expected; script errors and CSP refusals are not.
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageProblems.push(message.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await new Promise((resolve) => receiver?.close(resolve));
  if (process.env.UPDATE_SCREENSHOTS !== '1') rmSync(SCREENSHOTS, { recursive: true, force: true });
});

test('a job created over the API appears live, and is driven to CLIENT_RECEIVED from its page', async () => {
  await page.goto(`${server.url}/console`);
  await page.getByLabel('API key').fill(KEY);
  await page.getByRole('button', { name: 'Open tenant' }).click();
  await page.locator('#live[data-live="on"]').waitFor();

  // The tenant bar registers a webhook endpoint to the local receiver.
  await page.locator('#endpoints summary').click();
  await page.getByLabel('Endpoint URL').fill(receiverUrl);
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await page.locator('#endpoint-secret code').waitFor();
  await page.locator('#endpoint-list code', { hasText: receiverUrl }).waitFor();
  await page.locator('#endpoints summary').click();

  // Jobs created and moved over the API show up without a reload.
  await page.evaluate(() => { (window as any).notReloaded = true; });
  const jobId = await createJob('ORDER-100046');
  await page.locator(`tr[data-job-id="${jobId}"]`).waitFor();
  const otherId = await createJob('ORDER-100047');
  await call('POST', `/sandbox/jobs/${otherId}/advance`, { to: 'GOING_TO_DESTINATION_STARTED' });
  const cancelledId = await createJob('ORDER-100048');
  await call('POST', `/jobs/${cancelledId}/cancel`, { reason: 'Customer asked' });
  await page.locator(`tr[data-job-id="${otherId}"] .badge`, { hasText: 'GOING_TO_DESTINATION_STARTED' }).waitFor();
  await page.locator(`tr[data-job-id="${cancelledId}"] .badge`, { hasText: 'CANCELLED' }).waitFor();
  expect(await page.evaluate(() => (window as any).notReloaded)).toBe(true);
  await page.locator('#jobs-count', { hasText: '3 jobs' }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'console-jobs.png'), animations: 'disabled', clip: { x: 0, y: 0, width: 1280, height: 360 } });

  // The filter asks the server for one state only.
  await page.getByLabel('State', { exact: true }).selectOption('CANCELLED');
  await page.locator('#jobs-count', { hasText: '1 job in CANCELLED' }).waitFor();
  await page.getByLabel('State', { exact: true }).selectOption('');
  await page.locator('#jobs-count', { hasText: '3 jobs' }).waitFor();

  await page.locator(`tr[data-job-id="${jobId}"] a`).click();
  await page.locator('#job-title', { hasText: 'ORDER-100046' }).waitFor();
  const { delivery_code: code } = await call('GET', `/jobs/${jobId}`);
  await page.locator('#r-code-value', { hasText: code }).waitFor();

  // The recipient changes their instructions; job data goes into the page as text only.
  await page.getByLabel('Comment for the driver').fill(HOSTILE_COMMENT);
  await page.getByLabel('Contactless delivery').selectOption('LeaveAtTheDoor');
  await page.getByRole('button', { name: 'Save instructions' }).click();
  await page.locator('#op-message', { hasText: 'Instructions saved' }).waitFor();
  const updated = await call('GET', `/jobs/${jobId}`);
  expect(updated.job_comment).toBe(HOSTILE_COMMENT);
  expect(updated.contact_less).toEqual({ comment: 'LeaveAtTheDoor' });
  expect(updated.history.map((h: { type: string }) => h.type)).toContain('JOB_COMMENT_UPDATED');

  await page.getByLabel('Advance to').selectOption('DELIVERING_STARTED');
  await page.getByRole('button', { name: 'Advance', exact: true }).click();
  await page.locator('#job-state', { hasText: 'DELIVERING_STARTED' }).waitFor();
  await page.locator('#r-timeline li[aria-current="step"]', { hasText: 'Handing over your order' }).waitFor();

  const wrong = code === '0000' ? '1111' : '0000';
  await page.getByLabel('Delivery code').fill(wrong);
  await page.getByRole('button', { name: 'Complete delivery' }).click();
  await page.locator('#op-message.bad', { hasText: 'Wrong delivery code. 4 attempts left' }).waitFor();
  expect(await page.locator('#job-state').textContent()).toBe('DELIVERING_STARTED');
  const handedOver = page.locator('#deliveries-list li[data-event-type="DELIVERING_STARTED"][data-status="SUCCEEDED"]');
  await handedOver.getByText('Request, response and attempts').click();
  await page.setViewportSize({ width: 1280, height: 1180 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SCREENSHOTS, 'console-job.png'), animations: 'disabled' });
  await page.setViewportSize({ width: 1280, height: 800 });
  await handedOver.getByText('Request, response and attempts').click();

  await page.getByLabel('Delivery code').fill(code);
  await page.getByRole('button', { name: 'Complete delivery' }).click();
  await page.locator('#job-state', { hasText: 'CLIENT_RECEIVED' }).waitFor();
  await page.locator('#r-timeline li[aria-current="step"]', { hasText: 'Delivered' }).waitFor();

  // Every event reached the receiver, and the log shows it without a reload.
  const delivered = page.locator('#deliveries-list li[data-event-type="CLIENT_RECEIVED"][data-status="SUCCEEDED"]');
  await delivered.waitFor();
  await page.locator('#deliveries-list li[data-event-type="JOB_COMMENT_UPDATED"]').waitFor();
  expect(received.filter((e) => e.job_id === jobId).map((e) => e.type)).toEqual([
    'CREATED', 'JOB_COMMENT_UPDATED', 'PICKING_STARTED', 'PICKING_FINISHED', 'CHECKING_OUT_STARTED', 'CHECKED_OUT',
    'GOING_TO_DESTINATION_STARTED', 'ARRIVED_TO_DESTINATION', 'DELIVERING_STARTED', 'CLIENT_RECEIVED',
  ]);
  await delivered.getByText('Request, response and attempts').click();
  await delivered.locator('pre', { hasText: '"received":true' }).waitFor();
  await delivered.getByRole('button', { name: 'Retry CLIENT_RECEIVED delivery' }).click();
  await page.locator('#op-message', { hasText: 'Retry of CLIENT_RECEIVED queued' }).waitFor();
  await delivered.locator('text=2 attempts').waitFor();

  expect(await page.locator('#job-json').textContent()).toContain('<img src=x');
  expect(await page.evaluate(() => document.body.dataset.pwned)).toBeUndefined();
  expect(await page.evaluate(() => (window as any).notReloaded)).toBe(true);
  expect(pageProblems).toEqual([]);
});

test('the tenant bar freezes the clock and lets it run again', async () => {
  await page.getByRole('button', { name: 'Freeze', exact: true }).click();
  await page.locator('#clock-freeze[aria-pressed="true"]', { hasText: 'Unfreeze' }).waitFor();
  await page.locator('#clock-offset', { hasText: 'frozen' }).waitFor();
  const frozen = await call('GET', '/sandbox/clock');
  expect(frozen.frozen).toBe(true);
  expect(await page.locator('#clock-now').getAttribute('datetime')).toBe(frozen.now);
  await page.getByRole('button', { name: 'Unfreeze', exact: true }).click();
  await page.locator('#clock-freeze[aria-pressed="false"]', { hasText: 'Freeze' }).waitFor();
  expect((await call('GET', '/sandbox/clock')).frozen).toBe(false);
  expect(pageProblems).toEqual([]);
});
