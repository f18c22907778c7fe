/** A pino logger whose lines are kept, parsed, for a test to read. */
import pino from 'pino';

export type LogLine = Record<string, any>;

export function capturedLogger(level = 'info'): { lines: LogLine[]; logger: pino.Logger } {
  const lines: LogLine[] = [];
  const logger = pino({ level }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { lines, logger };
}

/** The store's own lines (outage start and end, reminders), in order. */
export const storeLines = (lines: readonly LogLine[]): LogLine[] =>
  lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('store '));
