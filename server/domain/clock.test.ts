import { advancedClock, clockNow, frozenClock, iso, offsetSeconds, RUNNING_CLOCK, unfrozenClock } from './clock';

describe('iso', () => {
  it('always answers what toISOString does, including instants that share a cache entry', () => {
    const instants = [
      0,
      1021,
      2042,
      -1021,
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

  it('writes a fraction of a millisecond to the microsecond, which toISOString would drop', () => {
    const ms = Date.UTC(2026, 11, 7, 10, 0, 1);
    expect(iso(ms + 0.5)).toBe('2026-12-07T10:00:01.000500Z');
    expect(iso(ms + 123.456)).toBe('2026-12-07T10:00:01.123456Z');
    expect(iso(ms + 999.9999)).toBe('2026-12-07T10:00:02.000Z');
    expect(iso(1.5)).toBe('1970-01-01T00:00:00.001500Z');
  });

  it('refuses an instant Date cannot hold, as toISOString does', () => {
    expect(() => iso(Number.NaN)).toThrow(RangeError);
    expect(() => iso(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => iso(8.64e15 + 1)).toThrow(RangeError);
  });
});

describe('unfreezing', () => {
  const real = Date.UTC(2026, 11, 7, 10, 0, 0);

  it('takes the pause off offset_seconds: the clock runs on from where it stood, never jumps', () => {
    const frozen = advancedClock(frozenClock(advancedClock(RUNNING_CLOCK, 60), real), 30);
    const pausedMs = 45_250;
    const running = unfrozenClock(frozen, real + pausedMs);
    expect(clockNow(running, real + pausedMs)).toBe(real + 90_000);
    // 90 s of advances less a pause of 45.25 s: 44.75 s, written rounded down.
    expect(offsetSeconds(running)).toBe(44);
  });

  it('rounds offset_seconds down, so that a pause of a few milliseconds makes it negative', () => {
    const running = unfrozenClock(frozenClock(RUNNING_CLOCK, real), real + 5);
    expect([clockNow(running, real + 5), offsetSeconds(running)]).toEqual([real, -1]);
  });
});
