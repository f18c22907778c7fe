/**
 * `npm run explore:kills [-- --seeds 1,2,3,4,5,6,7,8,9,10] [--mutants ID,ID] [--verbose]`
 *
 * Which seeds' `--explore` at its default runs kills each stateful mutant (test/mutants/stateful.ts):
 * a table of mutants by seeds. Whether one seed kills a mutant must not be luck: the target is every
 * mutant killed under every seed, and the count is the measure to compare explorer weights by.
 * Each mutant runs in this process on a loopback port. A kill is the first failing sequence
 * found: it is not shrunk (shrinking decides how a failure is shown, never whether one is found),
 * and the exploration runs alone, without the catalogue.
 */
import { WebhookReceiver } from '../conformance/receiver/receiver';
import { exploreKey, runExplore } from '../conformance/explore/run';
import { statefulMutants } from '../test/mutants/stateful';
import { hasOption, optionValue } from './lib/args';

/** Generous: on a loaded machine a shorter one turns slow answers into false kills. */
const TIMEOUT_MS = 10_000;

async function main(): Promise<void> {
  const seeds = optionValue('--seeds', '1,2,3,4,5,6,7,8,9,10').split(',').map(Number);
  const verbose = hasOption('--verbose');
  const wanted = hasOption('--mutants') ? optionValue('--mutants', '').split(',') : null;
  const unknown = (wanted ?? []).filter((id) => !statefulMutants.some((m) => m.id === id));
  if (seeds.some((seed) => !Number.isInteger(seed)) || unknown.length > 0) {
    process.stderr.write(
      `usage: explore-kills [--seeds 1,2,3] [--mutants ID,ID]${unknown.length ? `; unknown mutants: ${unknown.join(', ')}` : ''}\n`,
    );
    process.exit(2);
  }
  const receiver = new WebhookReceiver();
  await receiver.start({ host: '127.0.0.1', port: 0 });
  let total = 0;
  let runs = 0;
  const started = performance.now();
  process.stdout.write(
    `| Stateful mutant | ${seeds.map((seed) => `seed ${seed}`).join(' | ')} | killed |\n|---|${seeds.map(() => '---|').join('')}---|\n`,
  );
  for (const mutant of statefulMutants.filter((m) => wanted === null || wanted.includes(m.id))) {
    const running = await mutant.start();
    const cells: string[] = [];
    let killed = 0;
    try {
      for (const seed of seeds) {
        const result = await runExplore({
          baseUrl: running.url,
          seed,
          timeoutMs: TIMEOUT_MS,
          receiver,
          keys: () => [exploreKey(), exploreKey()],
          shared: false,
          shrink: false,
        });
        const message = result.failures[0]?.message ?? '';
        // A call that got no answer in time says how loaded the machine was, not what the mutant broke.
        const timedOut = / gave no HTTP answer/.test(message.split('\n')[0]);
        const dead = result.status === 'failed' && !timedOut;
        if (dead) killed += 1;
        cells.push(dead ? `killed (run ${result.explore?.runsDone})` : timedOut ? '**timed out**' : '**survives**');
        if (dead && verbose) process.stderr.write(`${mutant.id} seed ${seed}: ${result.failures[0]?.message}\n`);
      }
    } finally {
      await running.close();
    }
    total += killed;
    runs += seeds.length;
    process.stdout.write(`| ${mutant.id} | ${cells.join(' | ')} | ${killed} of ${seeds.length} |\n`);
  }
  await receiver.close();
  process.stdout.write(
    `\nkilled in ${total} of ${runs} (mutant, seed) runs, ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`explore-kills failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
