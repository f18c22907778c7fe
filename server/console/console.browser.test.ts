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
const SCREENSHOTS =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? join(__dirname, '..', '..', 'docs')
    : mkdtempSync(join(tmpdir(), 'console-'));
const KEY = 'console-test-key';
// Generous on purpose: under a loaded machine a step (a click, a live update) can take seconds.
// Each step waits for what it needs to see, never for a stretch of time.
const STEP_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 120_000;
const TEST_TIMEOUT_MS = 600_000;
const HOSTILE_COMMENT = 'Ring twice <img src=x onerror="document.body.dataset.pwned=1">';
const FRIENDLY_COMMENT = 'Ring twice, please; the bell is on the left.';
const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
];

let server: RunningServer;
let receiver: http.Server;
let receiverUrl: string;
const received: Array<{ type: string; job_id: string }> = [];
let failingUrl: string;
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
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/failing') {
        res.writeHead(500).end('down for maintenance');
        return;
      }
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      received.push({ type: event.type, job_id: event.job.id });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks`;
  failingUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/failing`;
  server = await startServer({ port: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: START_TIMEOUT_MS,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  page.on('pageerror', (error) => pageProblems.push(error.message));
  // Refused API calls (the wrong delivery code's 422) are expected; script errors and CSP refusals are not.
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      pageProblems.push(message.text());
  });
}, START_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await new Promise((resolve) => receiver?.close(resolve));
  if (process.env.UPDATE_SCREENSHOTS !== '1') rmSync(SCREENSHOTS, { recursive: true, force: true });
});

/**
 * The page, at each size, is no wider than the window: nothing runs off the right edge, nothing
 * in it scrolls sideways (no element is wider inside than its box), and a URL on screen wraps
 * only after one of its separators, never mid-word.
 */
async function expectNoHorizontalOverflow(screen: string): Promise<void> {
  const overflows: string[] = [];
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport);
    const found = await page.evaluate(() => {
      const name = (node: Element) =>
        `${node.tagName.toLowerCase()}${node.id ? `#${node.id}` : ''}.${(node as HTMLElement).className}`;
      const root = document.documentElement;
      // Rendered and shown: a closed <details> lays its content out but hides it (content-visibility).
      const shown = Array.from(document.querySelectorAll('body *')).filter((node) => node.checkVisibility());
      const wide = shown
        .filter((node) => node.getBoundingClientRect().right > window.innerWidth + 0.5)
        .slice(0, 3)
        .map(name);
      // Visually hidden text (.sr-only) is 1 px wide by design and never scrolls.
      const scrolling = shown
        .filter((node) => !node.closest('.sr-only') && node.scrollWidth > node.clientWidth + 0.5)
        .slice(0, 3)
        .map((node) => `${name(node)} (${node.scrollWidth} in ${node.clientWidth})`);
      // Where each line of a URL ends: the character before a break must be a separator.
      const midWord: string[] = [];
      for (const code of shown.filter(
        (node) => node.tagName === 'CODE' && /^https?:\/\//.test(node.textContent ?? ''),
      )) {
        const chars: Array<{ char: string; top: number }> = [];
        const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
        for (let text = walker.nextNode(); text; text = walker.nextNode()) {
          for (let i = 0; i < (text.textContent ?? '').length; i += 1) {
            const range = document.createRange();
            range.setStart(text, i);
            range.setEnd(text, i + 1);
            chars.push({ char: text.textContent![i], top: range.getClientRects()[0]?.top ?? NaN });
          }
        }
        for (let i = 1; i < chars.length; i += 1)
          if (chars[i].top > chars[i - 1].top + 1 && !/[/.?&=:#-]/.test(chars[i - 1].char))
            midWord.push(`${code.textContent} after "${code.textContent.slice(0, i)}"`);
      }
      return { scroll: root.scrollWidth, client: root.clientWidth, wide, scrolling, midWord };
    });
    if (found.scroll > found.client || found.wide.length + found.scrolling.length + found.midWord.length > 0)
      overflows.push(
        `${screen} at ${viewport.width}x${viewport.height}: page ${found.scroll} px wide in ${found.client}; past the edge: ${found.wide.join(', ')}; scrolls sideways: ${found.scrolling.join(', ')}; URLs broken mid-word: ${found.midWord.join(', ')}`,
      );
  }
  await page.setViewportSize(VIEWPORTS[0]);
  expect(overflows).toEqual([]);
}

test(
  'a job created over the API appears live, and is driven to CLIENT_RECEIVED from its page',
  async () => {
    await page.goto(`${server.url}/console`);
    await page.locator('#sign-in', { hasText: 'sandbox-key' }).waitFor();
    await expectNoHorizontalOverflow('sign-in');
    await page.getByLabel('API key').fill(KEY);
    await page.getByRole('button', { name: 'Open tenant' }).click();
    await page.locator('#live[data-live="on"]').waitFor();

    // The tenant bar registers a webhook endpoint to the local receiver.
    await page.locator('#endpoints summary').click();
    await page.getByLabel('Endpoint URL').fill(receiverUrl);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.locator('#endpoint-secret code').waitFor();
    await page.locator('#endpoint-list code', { hasText: receiverUrl }).waitFor();
    // A second endpoint that fails: its later deliveries wait behind the failing one.
    await page.getByLabel('Endpoint URL').fill(failingUrl);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.locator('#endpoint-list code', { hasText: failingUrl }).waitFor();
    await expectNoHorizontalOverflow('webhook endpoints panel with a secret');
    // "Remove" stays on one line, as tall as the one-line "Add endpoint".
    const heights = await page.evaluate(() => ({
      add: document.querySelector('#endpoint-form button')!.getBoundingClientRect().height,
      remove: Array.from(document.querySelectorAll('#endpoint-list button')).map(
        (b) => b.getBoundingClientRect().height,
      ),
    }));
    expect(heights.remove).toEqual([heights.add, heights.add]);
    await page.locator('#endpoints summary').click();

    // Jobs created and moved over the API show up without a reload.
    await page.evaluate(() => {
      (window as any).notReloaded = true;
    });
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
    await page.screenshot({
      path: join(SCREENSHOTS, 'console-jobs.png'),
      animations: 'disabled',
      clip: { x: 0, y: 0, width: 1280, height: 360 },
    });

    // The filter asks the server for one state only.
    await expectNoHorizontalOverflow('jobs list');
    // On a phone each job is a card: its window on one line, its creation time on screen.
    await page.setViewportSize(VIEWPORTS[1]);
    const cards = await page.evaluate(() =>
      Array.from(document.querySelectorAll('#jobs-body tr')).map((row) => {
        const cells = Array.from(row.querySelectorAll('td'));
        const windowText = document.createRange();
        windowText.selectNodeContents(cells[2]);
        return {
          display: getComputedStyle(row).display,
          windowLines: new Set(Array.from(windowText.getClientRects()).map((rect) => Math.round(rect.top))).size,
          createdOnScreen: cells[3].getBoundingClientRect().right <= window.innerWidth,
          created: getComputedStyle(cells[3], '::before').content,
        };
      }),
    );
    expect(cards).toHaveLength(3);
    for (const card of cards)
      expect(card).toEqual({
        display: expect.not.stringMatching(/^table/),
        windowLines: 1,
        createdOnScreen: true,
        created: '"Created: "',
      });
    await page.setViewportSize(VIEWPORTS[0]);
    await page.getByLabel('State', { exact: true }).selectOption('CANCELLED');
    await page.locator('#jobs-count', { hasText: '1 job in CANCELLED' }).waitFor();
    await page.getByLabel('State', { exact: true }).selectOption('PICKING_FINISHED');
    await page
      .locator('#jobs-no-match', { hasText: 'Nothing matches: no job of this tenant is in PICKING_FINISHED' })
      .waitFor();
    expect(await page.locator('#jobs-empty').isVisible()).toBe(false);
    await page.getByLabel('State', { exact: true }).selectOption('');
    await page.locator('#jobs-count', { hasText: '3 jobs' }).waitFor();

    await page.locator(`tr[data-job-id="${jobId}"] a`).click();
    await page.locator('#job-title', { hasText: 'ORDER-100046' }).waitFor();
    const { delivery_code: code } = await call('GET', `/jobs/${jobId}`);
    await page.locator('#r-code-value', { hasText: code }).waitFor();

    // The recipient changes their instructions; job data goes into the page as text only.
    await page.getByLabel('Comment for the driver').fill(FRIENDLY_COMMENT);
    await page.getByLabel('Contactless delivery').selectOption('LeaveAtTheDoor');
    await page.getByRole('button', { name: 'Save instructions' }).click();
    await page.locator('#op-message', { hasText: 'Instructions saved' }).waitFor();
    const updated = await call('GET', `/jobs/${jobId}`);
    expect(updated.job_comment).toBe(FRIENDLY_COMMENT);
    expect(updated.contact_less).toEqual({ comment: 'LeaveAtTheDoor' });
    expect(updated.history.map((h: { type: string }) => h.type)).toContain('JOB_COMMENT_UPDATED');

    // A message tells what the action did to the job as it was; a step made elsewhere takes it away.
    await page.getByRole('button', { name: 'Advance one step → PICKING_STARTED' }).click();
    await page.locator('#op-message', { hasText: 'Moved to PICKING_STARTED.' }).waitFor();
    await call('POST', `/sandbox/jobs/${jobId}/advance`, {});
    await page.locator('#job-state', { hasText: 'PICKING_FINISHED' }).waitFor();
    await page.locator('#op-message').waitFor({ state: 'hidden' });
    expect(await page.locator('#op-message').textContent()).toBe('');

    await page.getByLabel('Advance to').selectOption('DELIVERING_STARTED');
    await page.getByRole('button', { name: 'Advance', exact: true }).click();
    await page.locator('#job-state', { hasText: 'DELIVERING_STARTED' }).waitFor();
    await page.locator('#r-timeline li[aria-current="step"]', { hasText: 'Handing over your order' }).waitFor();

    // A code that is not 4 digits is refused beside the field, before sending: no attempt is spent.
    for (const malformed of ['', '12a', '12 4']) {
      await page.getByLabel('Delivery code').fill(malformed);
      await page.getByRole('button', { name: 'Complete delivery' }).click();
      await page.locator('#op-code-error', { hasText: 'The delivery code is exactly 4 digits.' }).waitFor();
    }
    expect((await call('GET', `/jobs/${jobId}`)).delivery_code_attempts_remaining).toBe(5);
    const wrong = code === '0000' ? '1111' : '0000';
    await page.getByLabel('Delivery code').fill(wrong);
    await page.getByRole('button', { name: 'Complete delivery' }).click();
    await page.locator('#op-code-error', { hasText: 'Wrong delivery code. 4 attempts left' }).waitFor();
    expect(await page.locator('#job-state').textContent()).toBe('DELIVERING_STARTED');
    // Each event lists its endpoints: delivered to one, waiting behind the failing CREATED on the other.
    const handedOverEvent = page.locator('#deliveries-list li.event[data-event-type="DELIVERING_STARTED"]');
    await handedOverEvent
      .locator('li.delivery[data-status="SUCCEEDED"] code.endpoint', { hasText: receiverUrl })
      .waitFor();
    const waiting = handedOverEvent.locator('li.delivery[data-status="PENDING"]');
    await waiting.locator('code.endpoint', { hasText: failingUrl }).waitFor();
    await waiting.getByText(/waiting behind CREATED to this endpoint \(failing, \d+ attempts? so far\)/).waitFor();
    expect(await waiting.getByText('not tried yet').count()).toBe(0);
    // The failing endpoint's attempts read as what came back, once: "HTTP 500".
    const failing = page.locator(
      '#deliveries-list li.event[data-event-type="CREATED"] li.delivery[data-status="PENDING"]',
    );
    await failing.getByText('Request, response and attempts').click();
    await failing.locator('tbody tr').first().waitFor();
    const results = await failing.locator('tbody tr td:nth-child(3)').allTextContents();
    expect(new Set(results)).toEqual(new Set(['HTTP 500']));
    expect(await failing.locator('p.meta').textContent()).toMatch(/^\d+ attempts? · HTTP 500$/);
    await failing.getByText('Request, response and attempts').click();
    const handedOver = handedOverEvent.locator('li.delivery[data-status="SUCCEEDED"]');
    await handedOver.getByText('Request, response and attempts').click();
    await page.setViewportSize({ width: 1280, height: 1180 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SCREENSHOTS, 'console-job.png'), animations: 'disabled' });
    await page.setViewportSize({ width: 1280, height: 800 });
    await expectNoHorizontalOverflow('job page');
    await handedOver.getByText('Request, response and attempts').click();

    await page.getByLabel('Delivery code').fill(code);
    await page.getByRole('button', { name: 'Complete delivery' }).click();
    await page.locator('#job-state', { hasText: 'CLIENT_RECEIVED' }).waitFor();
    await page.locator('#r-timeline li[aria-current="step"]', { hasText: 'Delivered' }).waitFor();

    // Every event reached the receiver, and the log shows it without a reload.
    const delivered = page.locator(
      '#deliveries-list li.delivery[data-event-type="CLIENT_RECEIVED"][data-status="SUCCEEDED"]',
    );
    await delivered.waitFor();
    await page.locator('#deliveries-list li.event[data-event-type="JOB_COMMENT_UPDATED"]').waitFor();
    expect(received.filter((e) => e.job_id === jobId).map((e) => e.type)).toEqual([
      'CREATED',
      'JOB_COMMENT_UPDATED',
      'PICKING_STARTED',
      'PICKING_FINISHED',
      'CHECKING_OUT_STARTED',
      'CHECKED_OUT',
      'GOING_TO_DESTINATION_STARTED',
      'ARRIVED_TO_DESTINATION',
      'DELIVERING_STARTED',
      'CLIENT_RECEIVED',
    ]);
    await delivered.getByText('Request, response and attempts').click();
    await delivered.locator('pre:not(.answer)', { hasText: '"received":true' }).waitFor();
    // Under each attempt: the headers it was sent with, the receiver's answer, and copy as curl.
    await delivered.getByText('Attempt 1: request headers and answer').click();
    await delivered.locator('pre.request-headers', { hasText: /webhook-signature: v1,/ }).waitFor();
    await delivered.locator('pre.answer', { hasText: /^HTTP 200\ncontent-type: application\/json/ }).waitFor();
    await delivered.getByRole('button', { name: 'Copy as curl' }).waitFor();
    await delivered.getByRole('button', { name: 'Retry CLIENT_RECEIVED delivery' }).click();
    await page.locator('#op-message', { hasText: 'Retry of CLIENT_RECEIVED queued' }).waitFor();
    await delivered.locator('text=2 attempts').waitFor();

    // Errors show beside the control that caused them, in the user's terms.
    await page.getByLabel('Advance the clock by').fill('4000');
    await page.getByLabel('Unit').selectOption('86400');
    await page.getByRole('button', { name: 'Advance clock' }).click();
    await page
      .locator('#clock-error', { hasText: 'The clock moves at most ten years at a time: 3,650 days.' })
      .waitFor();
    // 1.5 hours: the browser says why (a whole number) and the refusal of 4,000 days is gone.
    await page.getByLabel('Advance the clock by').fill('1.5');
    await page.getByLabel('Unit').selectOption('3600');
    await page.getByRole('button', { name: 'Advance clock' }).click();
    expect(await page.locator('#clock-amount').evaluate((node: HTMLInputElement) => node.validationMessage)).not.toBe(
      '',
    );
    expect(await page.locator('#clock-error').textContent()).toBe('');
    await page.locator('#endpoints summary').click();
    await page.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/third');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.locator('#endpoint-secret code').waitFor();
    await page.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/fourth');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.locator('#endpoint-error', { hasText: 'WEBHOOK_ENDPOINT_LIMIT' }).waitFor();
    expect(await page.locator('#endpoint-secret').isVisible()).toBe(false);
    // A refusal says the API's own reasons, in words.
    await page.getByLabel('Endpoint URL').fill('gopher://127.0.0.1/x');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.locator('#endpoint-error', { hasText: 'The endpoint URL must use http or https.' }).waitFor();
    await page.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/fourth');
    await page.getByLabel(/Signing secret/).fill('short');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.locator('#endpoint-error', { hasText: 'The signing secret' }).waitFor();
    expect(await page.locator('#endpoint-error').textContent()).toBe(
      'The signing secret must be at least 16 characters long.',
    );
    await page.getByLabel(/Signing secret/).fill('not base64!');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.locator('#endpoint-error', { hasText: 'The signing secret' }).waitFor();
    expect(await page.locator('#endpoint-error').textContent()).toBe(
      'The signing secret must be at least 16 characters long, and must be base64, optionally prefixed whsec_.',
    );
    expect(await page.locator('#endpoint-error').textContent()).not.toMatch(/[\^$\]]/);
    // Nothing of it landed in the page's general status line, far from the controls.
    expect(await page.locator('#op-message.bad').count()).toBe(0);
    await page.locator('#endpoints summary').click();

    // Job data goes into the page as text only, whatever it holds.
    await call('PUT', `/sandbox/jobs/${otherId}/recipient-instructions`, { job_comment: HOSTILE_COMMENT });
    await page.goto(`${server.url}/console#/jobs/${otherId}`);
    await page.locator('#job-json', { hasText: '<img src=x' }).waitFor({ state: 'attached' });
    expect(await page.locator('#i-comment').inputValue()).toBe(HOSTILE_COMMENT);
    expect(await page.evaluate(() => document.body.dataset.pwned)).toBeUndefined();
    expect(pageProblems).toEqual([]);
  },
  TEST_TIMEOUT_MS,
);

test(
  'the tenant bar freezes the clock and lets it run again',
  async () => {
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
  },
  TEST_TIMEOUT_MS,
);
