/**
 * The console behind a load balancer: a browser page on a round-robin proxy over three
 * instances that share one Redis. The stream ticket the page gets from one instance opens its
 * stream on another, and every job created through the proxy shows up live, whichever
 * instance made it. Nothing is sticky.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TestApi } from '../support/harness';
import { startRedis, type RunningRedis } from '../support/redis-server';
import type { RoundRobin } from '../support/round-robin';
import { instancesBehindProxy } from '../support/instances';
import type { RunningServer } from '../../server/main';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const KEY = 'console-behind-proxy';
// Generous: on a loaded machine a live update can take seconds. Each step waits for what it needs to see.
const STEP_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 120_000;

let redis: RunningRedis;
let proxy: RoundRobin;
let closeInstances: (() => Promise<void>) | undefined;
let browser: Browser;
let page: Page;
const refused: string[] = [];
const pageProblems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  redis = await startRedis();
  ({ proxy, close: closeInstances } = await instancesBehindProxy({ store: redis.url, storePrefix: 'proxy:' }));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: START_TIMEOUT_MS,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.on('pageerror', (error) => pageProblems.push(error.message));
  page.on('response', (response) => {
    if (response.status() >= 400) refused.push(`${response.status()} ${new URL(response.url()).pathname}`);
  });
}, START_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await closeInstances?.();
  await redis?.stop();
}, 60_000);

test(
  'a page on a round-robin proxy over three instances stays live and shows every job',
  async () => {
    await page.goto(`${proxy.url}/console`);
    await page.getByLabel('API key').fill(KEY);
    await page.getByRole('button', { name: 'Open tenant' }).click();
    await page.locator('#live[data-live="on"]').waitFor();

    // Five jobs, each made through the proxy, so by different instances; one moved on.
    const api = new TestApi({ url: proxy.url } as RunningServer, KEY);
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) ids.push((await api.createJob()).id);
    expect((await api.post(`/sandbox/jobs/${ids[0]}/advance`)).status).toBe(200);
    for (const id of ids) await page.locator(`tr[data-job-id="${id}"]`).waitFor();
    await page.locator(`tr[data-job-id="${ids[0]}"] .badge`, { hasText: 'PICKING_STARTED' }).waitFor();
    await page.locator('#jobs-count', { hasText: '5 jobs' }).waitFor();
    expect(await page.locator('#live').getAttribute('data-live')).toBe('on');

    // Every stream the page opened was redeemed on some instance; none was refused.
    const streams = proxy.served.filter((r) => r.path === '/console/events');
    expect(streams.length).toBeGreaterThan(0);
    expect(refused).toEqual([]);
    expect(pageProblems).toEqual([]);
  },
  START_TIMEOUT_MS * 2,
);
