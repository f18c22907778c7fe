/** The kill count over seeds: one mutant the explorer always kills, and the usage errors. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

jest.setTimeout(60_000);

function kills(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [require.resolve('tsx/cli'), join(__dirname, 'explore-kills.ts'), ...args],
      { cwd: join(__dirname, '..') },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

it('counts, per mutant, the seeds whose exploration kills it', async () => {
  const { code, stdout } = await kills(['--seeds', '1', '--mutants', 'RESCHEDULE-FREES-OLD-SLOT']);
  expect(code).toBe(0);
  expect(stdout).toMatch(/\| RESCHEDULE-FREES-OLD-SLOT \| killed \(run \d+\) \| 1 of 1 \|/);
  expect(stdout).toContain('killed in 1 of 1 (mutant, seed) runs');
});

it('refuses a mutant it does not know, and a seed that is not a number', async () => {
  const unknown = await kills(['--mutants', 'NO-SUCH-MUTANT']);
  expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('unknown mutants: NO-SUCH-MUTANT')]);
  const seed = await kills(['--seeds', 'one']);
  expect(seed.code).toBe(2);
});
