/**
 * The console's script: the TypeScript modules in client/, bundled by esbuild into one file
 * the first time a page asks for it, then served from memory. The lifecycle order, the
 * states and the formats the page checks before sending are written into it from the spec,
 * so the page never keeps a copy of its own.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { FINAL_STATES, JOB_STATES, LIFECYCLE, schemaAt } from '../../spec/contract';

const property = (schema: string, name: string) => schemaAt(`#/components/schemas/${schema}/properties/${name}`);

/** What the page takes from the spec, by the names client/model.ts declares. */
const FROM_SPEC: Record<string, unknown> = {
  LIFECYCLE_FROM_SPEC: LIFECYCLE,
  JOB_STATES_FROM_SPEC: JOB_STATES,
  FINAL_STATES_FROM_SPEC: FINAL_STATES,
  DELIVERY_CODE_PATTERN_FROM_SPEC: property('UpdateDeliveryCodeRequest', 'delivery_code').pattern,
  WEBHOOK_SECRET_PATTERN_FROM_SPEC: property('CreateWebhookEndpointRequest', 'secret').pattern,
  MAX_CLOCK_SECONDS_FROM_SPEC: property('AdvanceClockRequest', 'seconds').maximum,
};

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
    define: Object.fromEntries(Object.entries(FROM_SPEC).map(([name, value]) => [name, JSON.stringify(value)])),
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
