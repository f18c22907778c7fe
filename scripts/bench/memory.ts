/**
 * Memory of stored jobs, measured on the domain itself: RSS and heap before and after
 * creating JOBS jobs over TENANTS tenants. Run with --expose-gc. Prints one JSON line.
 */
import { Sandbox } from '../../server/application/sandbox';
import { InMemoryStore } from '../../server/store/memory';
import { ORDER, WEEK } from './create-load';

const jobs = Number(process.argv[2] ?? 100_000);
const tenants = Number(process.argv[3] ?? 100);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

async function main(): Promise<void> {
  const sandbox = new Sandbox(new InMemoryStore(), { maxJobsPerTenant: jobs, maxSlotsPerTenant: jobs });

  gc();
  const before = process.memoryUsage();
  const perTenant = Math.ceil(jobs / tenants);
  let created = 0;
  for (let t = 0; t < tenants && created < jobs; t++) {
    const key = `bench-tenant-${t}`;
    let slots: string[] = [];
    for (let i = 0; i < perTenant && created < jobs; i++) {
      if (slots.length === 0) slots = (await sandbox.availability(key, WEEK)).map((s) => s.id);
      await sandbox.createJob(key, { ...ORDER, slot_id: slots.pop()!, client_reference: `ORDER-${t}-${i}` });
      created += 1;
    }
  }
  gc();
  const after = process.memoryUsage();
  // Keep the sandbox alive until after the measurement.
  let stored = 0;
  for (const key of await sandbox.store.tenantKeys()) stored += (await sandbox.listJobs(key, { limit: jobs })).length;
  process.stdout.write(
    `${JSON.stringify({
      jobs: stored,
      tenants,
      rssBefore: before.rss,
      rssAfter: after.rss,
      heapBefore: before.heapUsed,
      heapAfter: after.heapUsed,
      rssPerJob: Math.round((after.rss - before.rss) / created),
      heapPerJob: Math.round((after.heapUsed - before.heapUsed) / created),
    })}\n`,
  );
}

void main();
