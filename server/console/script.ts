/**
 * The console's script: the TypeScript modules in client/, bundled by esbuild into one file
 * the first time a page asks for it, then served from memory. The lifecycle order is written
 * into it from the spec, so the page never keeps a copy of its own.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { FINAL_STATES, JOB_STATES, LIFECYCLE } from '../../spec/contract';

const CLIENT_DIR = join(__dirname, 'client');

/** The sources, or their compiled JavaScript when the server runs from a build. */
function entryPoint(): string {
  const source = join(CLIENT_DIR, 'main.ts');
  return existsSync(source) ? source : join(CLIENT_DIR, 'main.js');
}

export async function bundleConsoleScript(): Promise<string> {
  const result = await build({
    entryPoints: [entryPoint()],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    charset: 'utf8',
    legalComments: 'none',
    logLevel: 'silent',
    define: { LIFECYCLE_FROM_SPEC: JSON.stringify(LIFECYCLE), JOB_STATES_FROM_SPEC: JSON.stringify(JOB_STATES), FINAL_STATES_FROM_SPEC: JSON.stringify(FINAL_STATES) },
  });
  return result.outputFiles[0].text;
}

/** One bundle per process, made on first use; a failed bundle is tried again on the next request. */
export function consoleScriptCache(): () => Promise<string> {
  let pending: Promise<string> | null = null;
  return () => {
    pending ??= bundleConsoleScript().catch((error: unknown) => {
      pending = null;
      throw error;
    });
    return pending;
  };
}
