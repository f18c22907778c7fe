// An ECMAScript-modules consumer: start a sandbox, create a job through the typed client,
// let the slot's hold pass on the tenant's clock, get 417, close. Nothing else stops the process.
import { readFileSync } from 'node:fs';
import { strict as assert } from 'node:assert';
import { startSandbox, createClient } from 'lastmile-kit';

const order = JSON.parse(readFileSync(new URL('./order.json', import.meta.url), 'utf8'));
const sandbox = await startSandbox();
const client = createClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey });
const { data: slots } = await client.POST('/jobs/availability/v2', { body: order.availability });
const created = await client.POST('/jobs', { body: { ...order.job, slot_id: slots[0].id } });
assert.equal(created.response.status, 201);
await sandbox.advanceClock(16 * 60);
const late = await client.POST('/jobs', { body: { ...order.job, slot_id: slots[1].id } });
assert.equal(late.response.status, 417);
assert.equal(late.error.code, 'SLOT_EXPIRED');
await sandbox.close();
console.log(`esm: job ${created.data.job_id} created, then ${late.response.status} ${late.error.code}`);
