import { operations, specExamples, type Operation } from '../../spec/contract';
import type { Level } from './context';

/** The operations a level covers that need a key: production ones, or the sandbox's own. */
export function securedOperations(level: Level): Operation[] {
  return operations.filter((op) => op.secured && op.sandbox === (level === 'sandbox'));
}

export function bodyOperations(level: Level): Operation[] {
  return securedOperations(level).filter((op) => op.requestBody !== null);
}

/** The first example the spec gives for an operation's request body. */
export function exampleBody(op: Operation): unknown {
  if (!op.requestBody) return undefined;
  const found = specExamples().find((e) => e.pointer === op.requestBody!.pointer);
  return found ? structuredClone(found.value) : {};
}

/** Runs `task` over `items`, at most `limit` at a time, in order of results. */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
