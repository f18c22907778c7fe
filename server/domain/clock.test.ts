import { iso } from './clock';

describe('iso', () => {
  it('always answers what toISOString does, including instants that share a cache entry', () => {
    const instants = [
      0,
      1021,
      2042,
      -1021,
      1.5,
      Date.UTC(2026, 10, 30),
      Date.UTC(2026, 10, 30) + 1021,
      Date.UTC(9000, 0, 1),
      -62167219200000,
    ];
    for (let round = 0; round < 3; round++) {
      for (const ms of instants) expect(iso(ms)).toBe(new Date(ms).toISOString());
    }
    for (let i = 0; i < 5000; i++) {
      const ms = Math.floor(Math.random() * 4e12);
      expect(iso(ms)).toBe(new Date(ms).toISOString());
      expect(iso(ms + 1021 * (i % 7))).toBe(new Date(ms + 1021 * (i % 7)).toISOString());
    }
  });

  it('refuses an instant Date cannot hold, as toISOString does', () => {
    expect(() => iso(Number.NaN)).toThrow(RangeError);
    expect(() => iso(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => iso(8.64e15 + 1)).toThrow(RangeError);
  });
});
