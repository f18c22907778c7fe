/**
 * `lastmile mock` survives any request: a property name Node cannot put in Prism's
 * `sl-violations` header once ended the process.
 */
import { startPrismMock } from '../../cli/mock';
import { prismReady, type RunningPrism } from './prism';

let prism: RunningPrism;
beforeAll(async () => {
  prism = await prismReady(startPrismMock({ port: 0, host: '127.0.0.1' }, 'pipe'));
}, 60_000);
afterAll(() => prism?.stop());

test.each(['€', '\u0100', 'a\u0007b', '名前'])(
  'answers a spec-breaking body with the property name %j, then a normal request',
  async (name) => {
    const bad = await fetch(`${prism.url}/jobs/x/reschedule`, {
      method: 'PUT',
      headers: { 'x-api-key': 'a', 'content-type': 'application/json' },
      body: JSON.stringify({ slot_id: 's', reason: 'r', metadata: { [name]: 1 } }),
    });
    expect(bad.status).toBe(422);
    expect(bad.headers.get('sl-violations')).toMatch(/metadata/);
    const health = await fetch(`${prism.url}/healthz`);
    expect(health.status).toBe(200);
    expect(prism.child.exitCode).toBeNull();
  },
);
