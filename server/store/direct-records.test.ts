import { DirectRecordSet } from './direct-records';

type R = { id: string; v: number };
const same = (record: R) => record;

async function listed(set: DirectRecordSet<R>, order: 'oldest' | 'newest' = 'oldest'): Promise<string[]> {
  const out: string[] = [];
  for await (const record of set.list(order)) out.push(`${record.id}=${record.v}`);
  return out;
}

function tenantMap(): Map<string, R> {
  return new Map([
    ['a', { id: 'a', v: 1 }],
    ['b', { id: 'b', v: 1 }],
    ['c', { id: 'c', v: 1 }],
  ]);
}

describe('DirectRecordSet', () => {
  it('sees its own writes: puts at once, deletes hidden until the commit, then gone', async () => {
    const map = tenantMap();
    const set = new DirectRecordSet(map, same);
    set.put({ id: 'b', v: 2 });
    set.put({ id: 'd', v: 1 });
    set.delete('a');
    expect(await set.get('a')).toBeUndefined();
    expect(await set.get('b')).toEqual({ id: 'b', v: 2 });
    expect(await set.count()).toBe(3);
    expect(await listed(set)).toEqual(['b=2', 'c=1', 'd=1']);
    expect(await listed(set, 'newest')).toEqual(['d=1', 'c=1', 'b=2']);
    expect(map.has('a')).toBe(true); // only marked so far
    set.commit();
    expect([...map.keys()]).toEqual(['b', 'c', 'd']);
  });

  it('undone, leaves the map exactly as it was: values, membership and order', async () => {
    const map = tenantMap();
    const set = new DirectRecordSet(map, same);
    set.put({ id: 'a', v: 2 });
    set.delete('a');
    set.put({ id: 'b', v: 3 });
    set.delete('c');
    set.put({ id: 'd', v: 1 });
    set.put({ id: 'e', v: 1 });
    set.delete('e');
    set.rollback();
    expect([...map.entries()]).toEqual([...tenantMap().entries()]);
  });

  it('a record deleted and put again keeps its place', async () => {
    const map = tenantMap();
    const set = new DirectRecordSet(map, same);
    set.delete('a');
    set.put({ id: 'a', v: 5 });
    expect(await set.count()).toBe(3);
    set.commit();
    expect([...map.values()]).toEqual([
      { id: 'a', v: 5 },
      { id: 'b', v: 1 },
      { id: 'c', v: 1 },
    ]);
  });

  it('keeps what `keep` gives: frozen records under test', async () => {
    const map = new Map<string, R>();
    const set = new DirectRecordSet(map, (record: R) => Object.freeze(record));
    set.put({ id: 'a', v: 1 });
    expect(Object.isFrozen(map.get('a'))).toBe(true);
  });

  it('deleting a record that is not there, or twice, changes nothing', async () => {
    const map = tenantMap();
    const set = new DirectRecordSet(map, same);
    set.delete('zz');
    set.delete('a');
    set.delete('a');
    expect(await set.count()).toBe(2);
    set.rollback();
    expect(await new DirectRecordSet(map, same).count()).toBe(3);
  });
});
