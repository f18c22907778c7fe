import { DEFAULT_STORE_LIMITS } from '../domain/store';
import { InMemoryStore } from './memory';

const slot = (id: string) => ({
  id, fromMs: 0, toMs: 1, operationalModel: 'FULL_SERVICE' as const, store: { id: 's', name: 'S' },
  expiresAtMs: 2, originalExpiresAtMs: 2, extended: false, usedByJobId: null,
  quote: { origin: {}, destination: {}, job_items: [] } as never,
});

describe('InMemoryStore freezeRecords', () => {
  it('is on in the tests (jest sets LASTMILE_FREEZE_RECORDS), so an in-place change throws', async () => {
    expect(process.env.LASTMILE_FREEZE_RECORDS).toBe('1');
    const store = new InMemoryStore();
    await store.transact('k', async (tx) => tx.slots.put(slot('a')));
    const stored = await store.transact('k', (tx) => tx.slots.get('a'));
    expect(Object.isFrozen(stored)).toBe(true);
    expect(() => { (stored as { extended: boolean }).extended = true; }).toThrow(TypeError);
  });

  it('off, commits the records as given: the same objects, still extensible', async () => {
    const store = new InMemoryStore(Date.now, DEFAULT_STORE_LIMITS, { freezeRecords: false });
    const record = slot('a');
    await store.transact('k', async (tx) => tx.slots.put(record));
    const stored = await store.transact('k', (tx) => tx.slots.get('a'));
    expect(stored).toBe(record);
    expect(Object.isFrozen(stored)).toBe(false);
  });
});
