import { OUTAGE_REMINDER_MS, OutageLog, formatDuration } from './outage';
import { capturedLogger } from '../../test/support/logged';

it('an outage is one line when it starts, one reminder a minute at most, and one line with its duration when it ends', () => {
  const { lines, logger } = capturedLogger();
  let nowMs = 1_000_000;
  const outage = new OutageLog(logger, 'redis://10.0.0.5:6379', () => nowMs);
  outage.answered();
  expect(lines).toEqual([]);
  // Two failures a second, as the outbox's passes and the requests make them, for three minutes.
  for (let step = 0; step < 360; step++) {
    outage.failed('ECONNREFUSED');
    nowMs += 500;
  }
  expect(outage.down).toBe(true);
  outage.answered();
  outage.answered();
  expect(lines.map((l) => [l.level, l.msg, l.down_ms])).toEqual([
    [50, 'store unreachable: requests answer 503 until it is back', undefined],
    [50, 'store still unreachable', OUTAGE_REMINDER_MS],
    [50, 'store still unreachable', 2 * OUTAGE_REMINDER_MS],
    [40, 'store reachable again after 3 min 00 s', 180_000],
  ]);
  expect(lines.every((l) => l.store === 'redis://10.0.0.5:6379' && !('stack' in l) && !('err' in l))).toBe(true);
  expect(lines[0].cause).toBe('ECONNREFUSED');
  expect(outage.down).toBe(false);
});

it('a second outage starts afresh', () => {
  const { lines, logger } = capturedLogger();
  let nowMs = 0;
  const outage = new OutageLog(logger, 'memory', () => nowMs);
  outage.failed('ECONNRESET');
  nowMs += 1_250;
  outage.answered();
  nowMs += 10;
  outage.failed('ECONNREFUSED');
  nowMs += 40;
  outage.answered();
  expect(lines.map((l) => l.msg)).toEqual([
    'store unreachable: requests answer 503 until it is back',
    'store reachable again after 1.3 s',
    'store unreachable: requests answer 503 until it is back',
    'store reachable again after 40 ms',
  ]);
});

it('formats durations for a log line', () => {
  expect([0, 999, 1000, 59_949, 60_000, 61_000, 3_725_000].map(formatDuration)).toEqual([
    '0 ms',
    '999 ms',
    '1.0 s',
    '59.9 s',
    '1 min 00 s',
    '1 min 01 s',
    '62 min 05 s',
  ]);
});
