/** The API reference page renders every operation of the spec in a real browser, from local assets only. */
import { chromium, type Browser } from 'playwright-core';
import { operations } from '../../spec/contract';
import { startTestServer } from '../../test/support/harness';

let browser: Browser;
let close: () => Promise<unknown>;
let url: string;

beforeAll(async () => {
  const started = await startTestServer();
  close = started.close;
  url = started.server.url;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
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
});
afterAll(async () => {
  await browser?.close();
  await close();
});

test('/docs shows every operation of the spec, with no failed request and no script error', async () => {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('requestfailed', (request) => problems.push(`failed: ${request.url()}`));
  page.on('request', (request) => {
    if (!request.url().startsWith(url)) problems.push(`left the server: ${request.url()}`);
  });
  await page.goto(`${url}/docs`);
  await page.waitForSelector('.opblock');
  const shown = await page.locator('.opblock-summary-path').allTextContents();
  const paths = shown.map((p) => p.replace(/\u200b/g, '').trim());
  for (const op of operations) expect(paths).toContain(op.path);
  expect(problems).toEqual([]);
});
