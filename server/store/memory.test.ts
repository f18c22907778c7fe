import { DEFAULT_STORE_LIMITS } from '../domain/store';
import { InMemoryStore } from './memory';

const slot = (id: string) => ({
  id,
  fromMs: 0,
  toMs: 1,
  operationalModel: 'FULL_SERVICE' as const,
  store: { id: 's', name: 'S' },
  expiresAtMs: 2,
  originalExpiresAtMs: 2,
  extended: false,
  usedByJobId: null,
  quote: { origin: {}, destination: {}, job_items: [] } as never,
});

describe('InMemoryStore freezeRecords', () => {
  it('on (as in the tests), an in-place change throws', async () => {
    const store = new InMemoryStore(Date.now, DEFAULT_STORE_LIMITS, { freezeRecords: true });
    await store.transact('k', async (tx) => tx.slots.put(slot('a')));
    const stored = await store.transact('k', (tx) => tx.slots.get('a'));
    expect(Object.isFrozen(stored)).toBe(true);
    expect(() => {
      (stored as { extended: boolean }).extended = true;
    }).toThrow(TypeError);
  });

  it('off (the default), commits the records as given: the same objects, still extensible', async () => {
    const store = new InMemoryStore();
    const record = slot('a');
    await store.transact('k', async (tx) => tx.slots.put(record));
    const stored = await store.transact('k', (tx) => tx.slots.get('a'));
    expect(stored).toBe(record);
    expect(Object.isFrozen(stored)).toBe(false);
  });
});

describe('InMemoryStore transactions', () => {
  it('a function that throws leaves the tenant as it was: nothing added, changed or removed, order kept', async () => {
    const store = new InMemoryStore();
    await store.transact('k', async (tx) => {
      for (const id of ['a', 'b', 'c']) tx.slots.put(slot(id));
    });
    await expect(
      store.transact('k', async (tx) => {
        tx.slots.put({ ...slot('a'), extended: true });
        tx.slots.delete('b');
        tx.slots.put(slot('d'));
        tx.jobs.delete('nothing');
        throw new Error('refused halfway');
      }),
    ).rejects.toThrow('refused halfway');
    const after = await store.transact('k', async (tx) => {
      const out: Array<[string, boolean]> = [];
      for await (const record of tx.slots.list('oldest')) out.push([record.id, record.extended]);
      return out;
    });
    expect(after).toEqual([
      ['a', false],
      ['b', false],
      ['c', false],
    ]);
  });

  it('a transaction queued behind one that throws runs on the tenant as it was', async () => {
    const store = new InMemoryStore();
    const failing = store.transact('k', async (tx) => {
      tx.slots.put(slot('a'));
      await new Promise((resolve) => setImmediate(resolve));
      throw new Error('no');
    });
    const next = store.transact('k', async (tx) => tx.slots.count());
    await expect(failing).rejects.toThrow('no');
    expect(await next).toBe(0);
  });
});
