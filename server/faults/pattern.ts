/**
 * Regular expressions from users, run by RE2 (compiled to WebAssembly, so nothing native
 * to build): matching takes time linear in the input, so no pattern can stall the server
 * with catastrophic backtracking. RE2 refuses what would need it (backreferences,
 * lookaround) when the pattern is compiled, which turns it into a 422.
 */
import { RE2 } from 're2-wasm';

/** Compiled patterns kept; each holds WebAssembly memory, freed when it is dropped. */
const CACHE_SIZE = 256;
const cache = new Map<string, RE2>();

/** RE2's objects live in WebAssembly memory that JavaScript's collector does not free. */
function free(re: RE2): void {
  (re as unknown as { wrapper?: { delete?: () => void } }).wrapper?.delete?.();
}

function compiled(pattern: string): RE2 {
  let re = cache.get(pattern);
  if (re) {
    cache.delete(pattern);
    cache.set(pattern, re); // most recently used last
    return re;
  }
  re = new RE2(pattern, 'u');
  cache.set(pattern, re);
  if (cache.size > CACHE_SIZE) {
    const [oldest, dropped] = cache.entries().next().value as [string, RE2];
    cache.delete(oldest);
    free(dropped);
  }
  return re;
}

/** Why RE2 refuses the pattern, or null when it compiles. */
export function patternError(pattern: string): string | null {
  try {
    compiled(pattern);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Whether the pattern finds a match in the text (an unsearchable pattern matches nothing). */
export function patternMatches(pattern: string, text: string): boolean {
  try {
    const re = compiled(pattern);
    re.lastIndex = 0;
    return re.test(text);
  } catch {
    return false;
  }
}
