/**
 * `npm run explore:kills [-- --seeds 1,2,3,4,5,6,7,8,9,10] [--mutants ID,ID]`
 *
 * Which seeds' `--explore` at its default runs kills each stateful mutant (test/mutants/stateful.ts):
 * a table of mutants by seeds. Whether one seed kills a mutant must not be luck: the target is every
 * mutant killed under every seed, and the count is the measure to compare explorer weights by.
 * Each mutant runs in this process on a loopback port.
 */
import { runConformance } from '../conformance';
import { statefulMutants } from '../test/mutants/stateful';

const args = process.argv.slice(2);
const value = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};

async function main(): Promise<void> {
  const seeds = value('--seeds', '1,2,3,4,5,6,7,8,9,10').split(',').map(Number);
  const wanted = args.includes('--mutants') ? value('--mutants', '').split(',') : null;
  const unknown = (wanted ?? []).filter((id) => !statefulMutants.some((m) => m.id === id));
  if (seeds.some((seed) => !Number.isInteger(seed)) || unknown.length > 0) {
    process.stderr.write(
      `usage: explore-kills [--seeds 1,2,3] [--mutants ID,ID]${unknown.length ? `; unknown mutants: ${unknown.join(', ')}` : ''}\n`,
    );
    process.exit(2);
  }
  let total = 0;
  let runs = 0;
  process.stdout.write(
    `| Stateful mutant | ${seeds.map((seed) => `seed ${seed}`).join(' | ')} | killed |\n|---|${seeds.map(() => '---|').join('')}---|\n`,
  );
  for (const mutant of statefulMutants.filter((m) => wanted === null || wanted.includes(m.id))) {
    const running = await mutant.start();
    const cells: string[] = [];
    let killed = 0;
    try {
      for (const seed of seeds) {
        const run = await runConformance({
          baseUrl: running.url,
          apiKey: `kills-${mutant.id.toLowerCase()}-${seed}`,
          only: ['SANDBOX-HEALTH'],
          explore: true,
          seed,
          timeoutMs: 3000,
        });
        const dead = run.checks.find((c) => c.id === 'EXPLORE')?.status === 'failed';
        if (dead) killed += 1;
        cells.push(dead ? 'killed' : '**survives**');
      }
    } finally {
      await running.close();
    }
    total += killed;
    runs += seeds.length;
    process.stdout.write(`| ${mutant.id} | ${cells.join(' | ')} | ${killed} of ${seeds.length} |\n`);
  }
  process.stdout.write(`\nkilled in ${total} of ${runs} (mutant, seed) runs\n`);
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`explore-kills failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
