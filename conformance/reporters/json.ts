import type { RunResult } from '../checks/result';

/**
 * Everything the run knows, machine-readable: every check with its calls, the EXPLORE
 * check's numbered minimal sequence and replay script (`explore`), and the (operation,
 * status) coverage (`coverage`).
 */
export function renderJson(run: RunResult): string {
  return `${JSON.stringify(run, null, 2)}\n`;
}
