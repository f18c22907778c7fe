/**
 * Swagger's "Try it out" on POST /jobs sends the spec's example, whose slot this server
 * never issued: the operation's description must say how to get one, and following it works.
 */
import { example, getOperation, operationObject } from '../../spec/contract';
import { startServer, type RunningServer } from '../main';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ port: 0, logLevel: 'silent' });
});
afterAll(() => server.close());

const post = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'x-api-key': 'try-it-out', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

test('the create-job description says to ask availability first and paste a slot id, and doing so creates the job', async () => {
  const { description = '' } = operationObject(getOperation('createJob')) as { description?: string };
  const availability = getOperation('getAvailability');
  expect(description).toContain(`${availability.method} ${availability.path}`);
  expect(description).toMatch(/ask availability first/i);
  expect(description).toMatch(/paste it as `slot_id`/);
  expect(description).toContain('404 SLOT_NOT_FOUND');

  // What "Try it out" does with the example as it stands.
  const asIs = await post('/jobs', example('CreateJobRequest'));
  expect([asIs.status, ((await asIs.json()) as { code: string }).code]).toEqual([404, 'SLOT_NOT_FOUND']);

  // What the description says to do instead.
  const slots = await post(availability.path, example('AvailabilityRequest'));
  expect(slots.status).toBe(200);
  const [slot] = (await slots.json()) as Array<{ id: string }>;
  const created = await post('/jobs', { ...example('CreateJobRequest'), slot_id: slot.id });
  expect(created.status).toBe(201);
});
