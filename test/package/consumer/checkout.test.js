// Plain JavaScript tests under Jest, with no transform of the package and no --forceExit:
// one against the run's shared sandbox (global setup), one against a sandbox of this file.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { createClient, startSandbox } = require('lastmile-kit');

const order = JSON.parse(readFileSync(join(__dirname, 'order.json'), 'utf8'));

async function bookThenExpire(client, advance) {
  const { data: slots } = await client.POST('/jobs/availability/v2', { body: order.availability });
  const created = await client.POST('/jobs', { body: { ...order.job, slot_id: slots[0].id } });
  expect(created.response.status).toBe(201);
  await advance(16 * 60);
  const late = await client.POST('/jobs', { body: { ...order.job, slot_id: slots[1].id } });
  expect(late.response.status).toBe(417);
  expect(late.error.code).toBe('SLOT_EXPIRED');
}

test('the shared sandbox of the global setup', async () => {
  const client = createClient({ baseUrl: process.env.LASTMILE_BASE_URL, apiKey: `file-${process.pid}` });
  await bookThenExpire(client, (seconds) => client.POST('/sandbox/clock/advance', { body: { seconds } }));
});

describe('a sandbox of this file', () => {
  let sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(() => sandbox.close());

  test('books, then gets 417 after a clock advance', async () => {
    await bookThenExpire(sandbox.client, (seconds) => sandbox.advanceClock(seconds));
  });
});
