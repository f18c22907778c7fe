/** The console's script: bundled from console/ (by the build, or here from the sources on first request), with the lifecycle the spec defines. */
import { existsSync } from 'node:fs';
import { LIFECYCLE, schemaAt } from '../../spec/contract';
import { startServer, type RunningServer } from '../main';
import { BUILT_SCRIPT, CONSOLE_ENTRY, consoleScriptCache } from './script';

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ port: 0 });
});
afterAll(() => server.close());

test('the page loads one bundled script from its own origin, under the strict Content-Security-Policy', async () => {
  const page = await fetch(`${server.url}/console/`);
  const html = await page.text();
  expect(page.headers.get('content-security-policy')).toContain("script-src 'self';");
  expect([...html.matchAll(/<script\b[^>]*>/g)].map(([tag]) => tag)).toEqual([
    '<script src="/console/assets/console.js" defer>',
  ]);
  expect(html).not.toMatch(/<script\b[^>]*>[^<]+<\/script>/);

  const script = await fetch(`${server.url}/console/assets/console.js`);
  expect(script.status).toBe(200);
  expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  expect(script.headers.get('content-security-policy')).toContain("default-src 'none'");
  const text = await script.text();
  // One self-contained file: nothing left for the browser to import or require.
  expect(text).not.toMatch(/^\s*(import|export)\s/m);
  expect(text).not.toMatch(/\brequire\(/);
  // The lifecycle was written in: no free reference to the placeholder is left.
  expect(text).not.toMatch(/(^|[^\w:])[A-Z_]+_FROM_SPEC\b/m);
});

test("the script's lifecycle is the spec's, in the spec's order", async () => {
  const text = await (await fetch(`${server.url}/console/assets/console.js`)).text();
  expect(LIFECYCLE.length).toBeGreaterThan(2);
  expect(text).toContain(JSON.stringify(LIFECYCLE).slice(1, -1).replaceAll(',', ', '));
});

test("the formats the page checks before sending are the spec's", async () => {
  const text = await (await fetch(`${server.url}/console/assets/console.js`)).text();
  const property = (schema: string, name: string) => schemaAt(`#/components/schemas/${schema}/properties/${name}`);
  const pattern = property('UpdateDeliveryCodeRequest', 'delivery_code').pattern;
  expect(typeof pattern).toBe('string');
  expect(text).toContain(JSON.stringify(pattern));
  // esbuild writes numbers in their shortest form (315360000 as 31536e4).
  const written = /\bMAX_CLOCK_SECONDS = ([\d.e+]+)/.exec(text)?.[1];
  expect(Number(written)).toBe(property('AdvanceClockRequest', 'seconds').maximum);
});

test('the TypeScript sources are not served', async () => {
  for (const path of [
    '/console/assets/main.ts',
    '/console/assets/client/main.ts',
    '/console/client/main.ts',
    '/console/assets/console/main.ts',
  ]) {
    expect((await fetch(server.url + path)).status).toBe(404);
  }
});

test('from the sources, the page is bundled from console/main.ts, there being no built bundle beside them', () => {
  expect(existsSync(CONSOLE_ENTRY)).toBe(true);
  expect(existsSync(BUILT_SCRIPT)).toBe(false);
});

test('one script per process, and a failed load is tried again on the next request', async () => {
  let loads = 0;
  const script = consoleScriptCache(async () => {
    loads += 1;
    if (loads === 1) throw new Error('first load fails');
    return `script ${loads}`;
  });
  await expect(script()).rejects.toThrow('first load fails');
  expect(await script()).toBe('script 2');
  expect(await script()).toBe('script 2');
  expect(loads).toBe(2);
});
