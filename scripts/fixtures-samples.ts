/** Rewrites fixtures/samples/ from the generator (`npm run fixtures:samples`). */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLES, SAMPLES_DIR, renderSample, sampleCommand } from '../fixtures/samples';

async function main(): Promise<void> {
  mkdirSync(SAMPLES_DIR, { recursive: true });
  const wanted = new Set(SAMPLES.map((s) => s.file));
  for (const name of readdirSync(SAMPLES_DIR))
    if (name.endsWith('.json') && !wanted.has(name)) rmSync(join(SAMPLES_DIR, name));
  for (const sample of SAMPLES) {
    writeFileSync(join(SAMPLES_DIR, sample.file), await renderSample(sample));
    process.stdout.write(`${sample.file}: ${sampleCommand(sample)}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
