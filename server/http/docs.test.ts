/** The served spec points "Try it out" at the server that serves it, on any port. */
import { parse } from 'yaml';
import { startServer, type RunningServer } from '../main';
import { SERVED_SERVERS } from './docs';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ port: 0 });
});
afterAll(() => server.close());

test.each(['/openapi.json', '/openapi.yaml'])(
  '%s names only the origin serving it, never a fixed host and port',
  async (path) => {
    const response = await fetch(`${server.url}${path}`);
    const text = await response.text();
    const document = path.endsWith('.json') ? JSON.parse(text) : parse(text);
    expect(document.servers).toEqual(SERVED_SERVERS);
    expect(text).not.toContain('127.0.0.1:4000');
    // What a client such as Swagger UI calls: the server URL resolved against the document's own.
    expect(new URL(document.servers[0].url, `${server.url}${path}`).origin).toBe(server.url);
    expect(server.port).not.toBe(4000);
    // Everything else is the spec as written.
    expect(Object.keys(document.paths).length).toBeGreaterThan(10);
    expect(document.openapi).toBe('3.1.0');
  },
);
