/** `lastmile serve` as a user runs it: a child process, flags, environment, signals. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { spec } from '../spec/contract';

const BIN = join(__dirname, '..', 'bin', 'lastmile.js');

function serve(args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string; banner: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--log-level', 'silent', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no banner: ${out}`)), 15_000);
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const match = /Sandbox listening on (http:\/\/\S+)/.exec(out);
      if (match && out.includes('Console')) {
        clearTimeout(timer);
        resolve({ child, url: match[1], banner: out });
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('lastmile serve', () => {
  it('lists every option with its environment variable in --help', () => {
    const help = spawnSync(process.execPath, [BIN, 'serve', '--help'], { encoding: 'utf8' }).stdout;
    for (const flag of ['--port', '--host', '--slot-ttl', '--api-keys', '--max-body', '--log-level', '--delivery-code-attempts', '--webhook-timeout', '--webhook-retry-schedule', '--webhook-allow-private', '--max-jobs']) {
      expect(help).toContain(flag);
    }
    expect(help).toContain('LASTMILE_SLOT_TTL');
  });

  it('refuses a bad flag value with a clear message and a non-zero exit', () => {
    const run = spawnSync(process.execPath, [BIN, 'serve', '--port', 'abc'], { encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/--port must be an integer/);
  });

  it('prints the URL, a key to try and the docs, takes settings from the environment, and stops on SIGTERM', async () => {
    const { child, url, banner } = await serve([], { LASTMILE_SLOT_TTL: '60' });
    try {
      expect(banner).toContain('API key to try: sandbox-key');
      expect(banner).toContain(`${url}/docs`);
      const now = async () => Date.parse((await (await fetch(`${url}/sandbox/clock`, { headers: { 'x-api-key': 'sandbox-key' } })).json()).now);
      const before = await now();
      const res = await fetch(`${url}/jobs/availability/v2`, {
        method: 'POST', headers: { 'x-api-key': 'sandbox-key', 'content-type': 'application/json' },
        body: JSON.stringify(spec.components.examples.AvailabilityRequest.value),
      });
      const [slot] = await res.json();
      const after = await now();
      // LASTMILE_SLOT_TTL=60: held 60 s from the answer, which lies between the two readings.
      expect(Date.parse(slot.expires_at)).toBeGreaterThanOrEqual(before + 60_000);
      expect(Date.parse(slot.expires_at)).toBeLessThanOrEqual(after + 60_000);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });

  it('with --api-keys, names the first key and refuses others', async () => {
    const { child, url, banner } = await serve(['--api-keys', 'team-a,team-b']);
    try {
      expect(banner).toContain('API key to try: team-a');
      expect((await fetch(`${url}/sandbox/clock`, { headers: { 'x-api-key': 'other' } })).status).toBe(401);
    } finally {
      await stop(child);
    }
  });
});
