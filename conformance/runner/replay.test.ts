/**
 * A failed catalogue check carries every call it made as a script: run against a fresh
 * server of the same broken implementation it makes the same calls, with the ids of the new
 * answers, and gets the same answers; against a correct server the same script shows the
 * difference.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runConformance } from './runner';
import { replayScript } from './script';
import { mutants } from '../../test/mutants/catalogue';
import { patchedServer, type RunningMutant } from '../../test/mutants/tools';
import type { CheckResult } from '../checks/result';

const CHECK = 'SLOT-SINGLE-USE-409';

function slotUsableTwice(): Promise<RunningMutant> {
  const mutant = mutants.find((m) => m.id === 'SLOT-USABLE-TWICE');
  if (!mutant) throw new Error('no mutant SLOT-USABLE-TWICE');
  return mutant.start();
}

/** Runs the script with sh against `url`; each call prints `operationId status`, then where the answers are. */
async function replay(script: string, url: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'conform-replay-'));
  writeFileSync(join(dir, 'replay.sh'), script);
  // Asynchronously: the server answering the script runs in this very process.
  const { stdout } = await promisify(execFile)('sh', [join(dir, 'replay.sh')], {
    encoding: 'utf8',
    env: { ...process.env, LASTMILE: url },
    timeout: 30_000,
  });
  return stdout.trim().split('\n').slice(0, -1);
}

describe('the replay script of a failed stateful check', () => {
  let failed: CheckResult;
  let recorded: string[];
  beforeAll(async () => {
    const broken = await slotUsableTwice();
    try {
      const run = await runConformance({ baseUrl: broken.url, apiKey: 'replay-test', only: [CHECK], timeoutMs: 3000 });
      failed = run.checks[0];
    } finally {
      await broken.close();
    }
    recorded = failed.exchanges.map((e) => `${e.operationId} ${e.response?.status}`);
  }, 30_000);

  it('holds every call of the check, in order, the slot id taken from the availability answer', () => {
    expect(failed.status).toBe('failed');
    expect(recorded.slice(0, 3)).toEqual(['getAvailability 200', 'createJob 201', 'createJob 201']);
    const script = failed.script!;
    const calls = script.split('\n').filter((line) => line.startsWith('curl '));
    expect(calls.map((line) => /-w '(\w+) %\{http_code\}/.exec(line)?.[1])).toEqual(
      failed.exchanges.map((e) => e.operationId),
    );
    const slotId = (failed.exchanges[0].response!.json as Array<{ id: string }>)[0].id;
    expect(script).not.toContain(slotId);
    expect(calls.slice(1, 3).every((line) => line.includes(`"slot_id":"'"$V1"'"`))).toBe(true);
    expect(script).toMatch(/^KEY=\$\{KEY:-conform-replay-\$\$-1\}$/m);
  });

  it('reproduces the failure on a fresh server of the same mutant, and shows the difference on a correct one', async () => {
    const again = await slotUsableTwice();
    const correct = await patchedServer(() => undefined);
    try {
      expect(await replay(failed.script!, again.url)).toEqual(recorded);
      expect((await replay(failed.script!, correct.url)).slice(0, 3)).toEqual([
        'getAvailability 200',
        'createJob 201',
        'createJob 409',
      ]);
    } finally {
      await Promise.all([again.close(), correct.close()]);
    }
  }, 60_000);
});

describe('a replay script', () => {
  it("sends an empty header as empty (curl drops `name:`), and defaults to the run's keys in a shared tenant", () => {
    const script = replayScript(
      [
        {
          n: 1,
          step: 'an empty key',
          exchanges: [
            {
              operationId: 'getJob',
              request: { method: 'GET', url: 'http://127.0.0.1:1/jobs/j1', headers: { 'x-api-key': '' } },
              durationMs: 1,
              curl: '',
              violations: [],
            },
          ],
        },
      ],
      { baseUrl: 'http://127.0.0.1:1', keys: ["user's key"], title: 't', sameKeys: true },
    );
    expect(script).toContain(`-H 'x-api-key;'`);
    expect(script).toContain(`KEY=\${KEY:-'user'\\''s key'}`);
  });
});
