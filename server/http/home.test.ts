/** `GET /`: a browser lands on the console, an API client gets an index of links that all answer. */
import { startServer, type RunningServer } from '../main';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ port: 0, logLevel: 'silent' });
});
afterAll(() => server.close());

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

describe('GET /', () => {
  it('sends a browser to the console', async () => {
    const res = await fetch(`${server.url}/`, { headers: { accept: BROWSER_ACCEPT }, redirect: 'manual' });
    expect([res.status, res.headers.get('location')]).toEqual([302, '/console']);
    const landed = await fetch(`${server.url}/`, { headers: { accept: BROWSER_ACCEPT } });
    expect([landed.status, landed.headers.get('content-type')]).toEqual([200, expect.stringContaining('text/html')]);
  });

  it.each([['*/*'], ['application/json'], [''], ['image/png']])(
    'answers Accept %j with a JSON index whose every link answers 200',
    async (accept) => {
      const res = await fetch(`${server.url}/`, { headers: accept ? { accept } : {} });
      expect([res.status, res.headers.get('content-type')]).toEqual([200, expect.stringContaining('application/json')]);
      const body = (await res.json()) as { links: Record<string, string>; version: string };
      expect(Object.keys(body.links).sort()).toEqual(['console', 'docs', 'health', 'spec', 'spec_json']);
      expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
      const statuses = await Promise.all(
        Object.entries(body.links).map(async ([name, link]) => [name, (await fetch(new URL(link, server.url))).status]),
      );
      expect(Object.fromEntries(statuses)).toEqual(
        Object.fromEntries(Object.keys(body.links).map((name) => [name, 200])),
      );
    },
  );

  it('answers HEAD like GET, and other methods with 405 and the envelope', async () => {
    expect((await fetch(`${server.url}/`, { method: 'HEAD' })).status).toBe(200);
    const res = await fetch(`${server.url}/`, { method: 'POST' });
    expect([res.status, res.headers.get('allow'), ((await res.json()) as { code: string }).code]).toEqual([
      405,
      'GET, HEAD',
      'METHOD_NOT_ALLOWED',
    ]);
  });

  it('leaves other unknown paths a 404', async () => {
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });
});
