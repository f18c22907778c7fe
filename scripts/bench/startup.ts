/**
 * What a user waits for before the command is of use, measured on a checkout (ours, or a
 * baseline such as a checkout of main): `lastmile serve` from spawn to the first answer of
 * `/healthz` and its resident memory once idle, and `lastmile conform --help` to its exit.
 * Each is the median of several runs, each run a fresh process.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../lib/processes';
import { median } from '../lib/stats';

export interface StartupFigures {
  /** Spawn to the first 200 from /healthz, median. */
  healthzMs: number;
  runsMs: number[];
  /** VmRSS one second after the first answer, median (null off Linux). */
  idleRssMb: number | null;
  /** `lastmile conform --help`, spawn to exit, median. */
  conformHelpMs: number;
}

const IDLE_WAIT_MS = 1000;

function rssMb(pid: number): number | null {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round((Number(kb) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

async function serveOnce(root: string): Promise<{ ms: number; rss: number | null }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [join(root, 'bin', 'lastmile.js'), 'serve', '--port', String(port), '--log-level', 'warn'],
    { cwd: root, stdio: 'ignore' },
  );
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`serve in ${root} exited ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error(`serve in ${root} did not answer /healthz`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        await res.arrayBuffer();
        if (res.ok) break;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const ms = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, IDLE_WAIT_MS));
    return { ms, rss: rssMb(child.pid!) };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  }
}

function runOnce(root: string, args: string[]): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [join(root, 'bin', 'lastmile.js'), ...args], { cwd: root, stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`lastmile ${args.join(' ')} in ${root} exited ${code}`)),
    );
  });
}

/** Runs alternate between checkouts, so that the machine's noise falls on each alike. */
export async function measureStartup(roots: string[], runs: number): Promise<StartupFigures[]> {
  const serve = roots.map(() => [] as Array<{ ms: number; rss: number | null }>);
  const help = roots.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    for (const [r, root] of roots.entries()) {
      serve[r].push(await serveOnce(root));
      help[r].push(await runOnce(root, ['conform', '--help']));
    }
  }
  return roots.map((_, r) => {
    const rss = serve[r].map((s) => s.rss).filter((v): v is number => v !== null);
    return {
      healthzMs: Math.round(median(serve[r].map((s) => s.ms))),
      runsMs: serve[r].map((s) => Math.round(s.ms)),
      idleRssMb: rss.length ? median(rss) : null,
      conformHelpMs: Math.round(median(help[r])),
    };
  });
}
