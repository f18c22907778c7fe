/** The store contract's per-job view of pending deliveries, on each store. */
import type { DeliveryRecord } from '../webhooks/records';
import type { Store } from './records';
import { STORE_KINDS_WITH_CLUSTER, storesOf } from '../../test/support/stores';
import type { RedisStore } from './redis';

function delivery(id: string, jobId: string, status: DeliveryRecord['status'] = 'PENDING'): DeliveryRecord {
  return {
    id,
    endpoint_id: 'whe_1',
    url: 'http://127.0.0.1:9/hook',
    event_id: `evt_${id}`,
    event_type: 'CREATED',
    job_id: jobId,
    status,
    attempts: [],
    created_at: '2026-11-30T00:00:00.000Z',
    nextAttemptAtMs: null,
    payloadText: '{}',
    instaLeapSignature: 'sig',
    lease: null,
  };
}

const pendingOf = (store: Store, jobId: string) =>
  store.transact('k', async (tx) => (await tx.pendingDeliveries.ofJob(jobId)).map((d) => d.id));

describe.each(STORE_KINDS_WITH_CLUSTER)('pending deliveries by job, on the %s store', (kind) => {
  const stores = storesOf(kind);

  it("are the job's own, oldest first, and follow every commit", async () => {
    const store = await stores.open();
    await store.transact('k', async (tx) => {
      for (const [id, job] of [
        ['d1', 'job-a'],
        ['d2', 'job-b'],
        ['d3', 'job-a'],
        ['d4', 'job-a'],
        ['d5', 'job-b'],
      ])
        tx.deliveries.put(delivery(id, job));
    });
    expect(await pendingOf(store, 'job-a')).toEqual(['d1', 'd3', 'd4']);
    expect(await pendingOf(store, 'job-b')).toEqual(['d2', 'd5']);
    expect(await pendingOf(store, 'job-')).toEqual([]);

    await store.transact('k', async (tx) => {
      tx.deliveries.put(delivery('d1', 'job-a', 'SUCCEEDED'));
      tx.deliveries.delete('d4');
      tx.deliveries.put(delivery('d6', 'job-a'));
    });
    expect(await pendingOf(store, 'job-a')).toEqual(['d3', 'd6']);
    // Inside a transaction, its own writes count.
    expect(
      await store.transact('k', async (tx) => {
        tx.deliveries.put(delivery('d3', 'job-a', 'DEAD_LETTERED'));
        tx.deliveries.put(delivery('d7', 'job-a'));
        return (await tx.pendingDeliveries.ofJob('job-a')).map((d) => d.id);
      }),
    ).toEqual(['d6', 'd7']);
    expect(await pendingOf(store, 'job-a')).toEqual(['d6', 'd7']);
    expect(await pendingOf(store, 'job-b')).toEqual(['d2', 'd5']);
  });

  if (kind === 'redis') {
    it('of a tenant stored before the per-job index are read all the same, and indexed at its next commit', async () => {
      const store = (await stores.open()) as RedisStore;
      await store.transact('k', async (tx) => {
        for (const [id, job] of [
          ['d1', 'job-a'],
          ['d2', 'job-b'],
          ['d3', 'job-a'],
        ])
          tx.deliveries.put(delivery(id, job));
      });
      // As the previous version left it: no per-job index, no marker.
      const base = await store.call(async (r) => {
        const metas = await r.keys('*t:{*}:meta');
        const bases = metas.map((meta) => meta.slice(0, -'meta'.length));
        const mine = [];
        // This test's tenant: the one with d1 but without the other test's d5.
        for (const b of bases)
          if ((await r.hexists(`${b}deliveries`, 'd1')) && !(await r.hexists(`${b}deliveries`, 'd5'))) mine.push(b);
        expect(mine).toHaveLength(1);
        await r.multi().del(`${mine[0]}pendingj`, `${mine[0]}pendingm`).hdel(`${mine[0]}meta`, 'pjindex').exec();
        return mine[0];
      });
      expect(await store.call((r) => r.exists(`${base}pendingj`))).toBe(0);
      expect(await pendingOf(store, 'job-a')).toEqual(['d1', 'd3']);
      await store.transact('k', async (tx) => tx.deliveries.put(delivery('d4', 'job-a')));
      expect(await store.call((r) => r.zcard(`${base}pendingj`))).toBe(4); // d1, d2 and d3 indexed by the migration, d4 by its commit
      expect(await pendingOf(store, 'job-a')).toEqual(['d1', 'd3', 'd4']);
      expect(await pendingOf(store, 'job-b')).toEqual(['d2']);
    });
  }
});
