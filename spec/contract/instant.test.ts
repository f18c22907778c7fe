import {
  compareInstants,
  formatInstant,
  millisecondsBetween,
  parseInstant,
  plus,
  sameInstant,
  secondsToReach,
  tryInstant,
} from './instant';

describe('RFC 3339 instants at the precision written', () => {
  it('tells apart instants a microsecond or a nanosecond apart, which Date.parse cannot', () => {
    expect(Date.parse('2026-12-01T16:00:00.000001Z')).toBe(Date.parse('2026-12-01T16:00:00.000002Z'));
    expect(compareInstants('2026-12-01T16:00:00.000001Z', '2026-12-01T16:00:00.000002Z')).toBeLessThan(0);
    expect(compareInstants('2026-12-01T16:00:00.000000002Z', '2026-12-01T16:00:00.000000001Z')).toBeGreaterThan(0);
  });

  it('reads offsets and any number of fraction digits as the same instant', () => {
    expect(sameInstant('2026-12-01T16:00:00Z', '2026-12-01T10:00:00.000000-06:00')).toBe(true);
    expect(sameInstant('2026-12-01T16:00:00.5Z', '2026-12-01T17:00:00.500+01:00')).toBe(true);
    expect(sameInstant('2026-12-01t16:00:00z', '2026-12-01T16:00:00Z')).toBe(true);
    expect(sameInstant('2026-12-01T16:00:00.000001Z', '2026-12-01T10:00:00-06:00')).toBe(false);
    expect(sameInstant('2026-12-31T23:30:00-06:00', '2027-01-01T05:30:00Z')).toBe(true);
  });

  it('refuses what is no RFC 3339 date-time', () => {
    for (const text of [
      '2026-12-01 16:00:00Z',
      '2026-12-01T16:00:00',
      '2026-02-30T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '',
    ])
      expect([text, tryInstant(text)]).toEqual([text, undefined]);
    expect(() => parseInstant('yesterday')).toThrow(RangeError);
    expect(sameInstant('yesterday', 'yesterday')).toBe(false);
  });

  it('counts the whole seconds a clock must move to reach a due time, never one short', () => {
    // A due time 0.5 ms past a whole second from now: Date.parse says 1 s, the truth is 2 s.
    expect(secondsToReach('2026-12-01T16:00:00.000100Z', '2026-12-01T16:00:01.000600Z')).toBe(2);
    expect(secondsToReach('2026-12-01T16:00:00.000600Z', '2026-12-01T16:00:01.000600Z')).toBe(1);
    expect(secondsToReach('2026-12-01T16:00:00.000600-06:00', '2026-12-01T22:00:01.000100+00:00')).toBe(1);
    expect(secondsToReach('2026-12-01T16:00:05Z', '2026-12-01T16:00:01Z')).toBe(0);
  });

  it('adds milliseconds and measures differences with the fraction kept', () => {
    expect(formatInstant(plus('2026-12-01T16:00:00.999999Z', 1), { fractionDigits: 6 })).toBe(
      '2026-12-01T16:00:01.000999Z',
    );
    expect(formatInstant(plus('2026-12-01T16:00:00.000001Z', -1), { fractionDigits: 6 })).toBe(
      '2026-12-01T15:59:59.999001Z',
    );
    expect(millisecondsBetween('2026-12-01T16:00:00Z', '2026-12-01T16:00:01.0005Z')).toBeCloseTo(1000.5, 9);
  });

  it('writes an instant at an offset with the digits asked for', () => {
    const at = parseInstant('2026-12-01T16:00:00.123456789Z');
    expect(formatInstant(at, { offsetMinutes: -360, fractionDigits: 6 })).toBe('2026-12-01T10:00:00.123456-06:00');
    expect(formatInstant(at, { fractionDigits: 9 })).toBe('2026-12-01T16:00:00.123456789Z');
    expect(formatInstant(at, { fractionDigits: 0, numericZero: true })).toBe('2026-12-01T16:00:00+00:00');
    expect(formatInstant(parseInstant('0099-01-01T00:00:00Z'))).toBe('0099-01-01T00:00:00.000Z');
  });
});
