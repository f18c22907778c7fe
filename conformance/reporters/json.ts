import type { RunResult } from '../types';

/** Everything the run knows, machine-readable. */
export function renderJson(run: RunResult): string {
  return `${JSON.stringify(run, null, 2)}\n`;
}
