// A CommonJS consumer: the same steps as esm.mjs, with require, and the fixture factory's
// subpath, which Node loads with its ECMAScript-modules dependency (faker).
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const assert = require('node:assert/strict');
const { startSandbox, createClient } = require('lastmile-kit');
const { generateOrders } = require('lastmile-kit/fixtures');

async function main() {
  const order = JSON.parse(readFileSync(join(__dirname, 'order.json'), 'utf8'));
  const sandbox = await startSandbox({ slotTtlSeconds: 600 });
  const client = createClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey });
  const { data: slots } = await client.POST('/jobs/availability/v2', { body: order.availability });
  const created = await client.POST('/jobs', { body: { ...order.job, slot_id: slots[0].id } });
  assert.equal(created.response.status, 201);
  await sandbox.advanceClock(11 * 60);
  const late = await client.POST('/jobs', { body: { ...order.job, slot_id: slots[1].id } });
  assert.equal(late.response.status, 417);
  assert.equal(late.error.code, 'SLOT_EXPIRED');
  const [generated] = generateOrders({ count: 1, seed: 7, locale: 'pt_BR', scenario: 'standard' });
  assert.equal(generated.availability.currency_code, 'BRL');
  await sandbox.close();
  console.log(`cjs: job ${created.data.job_id} created, then ${late.response.status} ${late.error.code}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
