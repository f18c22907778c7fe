/**
 * The console's script: the browser modules in console/ (at the repository's top), bundled by
 * esbuild into one file. `npm run build` writes the bundle into dist/console/console.js and a
 * built server serves that file; a server running from the sources (a clone, the tests) bundles
 * them the first time a page asks, then serves from memory. The lifecycle order, the states and
 * the formats the page checks before sending are written into it from the spec, so the page
 * never keeps a copy of its own.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FINAL_STATES, JOB_STATES, LIFECYCLE, schemaAt } from '../../spec/contract';

const property = (schema: string, name: string) => schemaAt(`#/components/schemas/${schema}/properties/${name}`);

/** What the page takes from the spec, by the names console/model.ts declares. */
const FROM_SPEC: Record<string, unknown> = {
  LIFECYCLE_FROM_SPEC: LIFECYCLE,
  JOB_STATES_FROM_SPEC: JOB_STATES,
  FINAL_STATES_FROM_SPEC: FINAL_STATES,
  DELIVERY_CODE_PATTERN_FROM_SPEC: property('UpdateDeliveryCodeRequest', 'delivery_code').pattern,
  MAX_CLOCK_SECONDS_FROM_SPEC: property('AdvanceClockRequest', 'seconds').maximum,
};

/** The same two paths from server/console/ in the sources and from dist/server/console/ in a build. */
const CONSOLE_DIR = join(__dirname, '..', '..', 'console');
/** The browser modules' entry point (present in the sources only). */
export const CONSOLE_ENTRY = join(CONSOLE_DIR, 'main.ts');
/** Where `npm run build` writes the bundle (present in a build only). */
export const BUILT_SCRIPT = join(CONSOLE_DIR, 'console.js');

/** Bundles the browser modules from their entry point; esbuild is loaded only here. */
export async function bundleConsoleScript(entry: string = CONSOLE_ENTRY): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    charset: 'utf8',
    legalComments: 'none',
    logLevel: 'silent',
    define: Object.fromEntries(Object.entries(FROM_SPEC).map(([name, value]) => [name, JSON.stringify(value)])),
  });
  return result.outputFiles[0].text;
}

/** The built bundle when there is one, else the sources bundled now. */
function loadConsoleScript(): Promise<string> {
  return existsSync(BUILT_SCRIPT) ? readFile(BUILT_SCRIPT, 'utf8') : bundleConsoleScript();
}

/** One script per process, read or bundled on first use; a failure is tried again on the next request. */
export function consoleScriptCache(load: () => Promise<string> = loadConsoleScript): () => Promise<string> {
  let pending: Promise<string> | null = null;
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = null;
      throw error;
    });
    return pending;
  };
}
