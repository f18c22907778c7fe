/** `lastmile serve` as a user runs it: a child process, flags, environment, signals. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { spec } from '../spec/contract';
import { resolveLogFormat } from './main';

const BIN = join(__dirname, '..', 'bin', 'lastmile.js');

function serve(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string; banner: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--log-level', 'silent', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no banner: ${out}`)), 15_000);
    child.stdout.on('data', (chunk) => {
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

/** The first line the server writes that holds `mark`, once `request` is made. */
async function logLineOf(child: ChildProcess, mark: string, request: () => Promise<Response>): Promise<string> {
  let out = '';
  const logged = new Promise<string>((resolve) => {
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.includes(mark));
      if (line) resolve(line);
    });
  });
  expect((await request()).status).toBe(200);
  return Promise.race([logged, new Promise<string>((resolve) => child.once('exit', () => resolve(`exited: ${out}`)))]);
}

describe('lastmile serve', () => {
  it('lists every option with its environment variable in --help', () => {
    const help = spawnSync(process.execPath, [BIN, 'serve', '--help'], { encoding: 'utf8' }).stdout;
    for (const flag of [
      '--port',
      '--host',
      '--slot-ttl',
      '--api-keys',
      '--max-body',
      '--log-level',
      '--delivery-code-attempts',
      '--webhook-timeout',
      '--webhook-retry-schedule',
      '--webhook-allow-private',
      '--max-jobs',
    ]) {
      expect(help).toContain(flag);
    }
    expect(help).toContain('LASTMILE_SLOT_TTL');
  });

  it('refuses a bad flag value with a clear message and a non-zero exit', () => {
    const run = spawnSync(process.execPath, [BIN, 'serve', '--port', 'abc'], { encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/--port must be an integer/);
  });

  it('refuses a bad environment value as it refuses the flag, naming the flag', () => {
    const run = spawnSync(process.execPath, [BIN, 'serve', '--port', '0'], {
      encoding: 'utf8',
      env: { ...process.env, LASTMILE_MAX_BODY: 'lots' },
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--max-body must be a size such as 1mb, 512kb or 1048576, got "lots"');
  });

  it('prints the URL, a key to try and the docs, takes settings from the environment, and stops on SIGTERM', async () => {
    const { child, url, banner } = await serve([], { LASTMILE_SLOT_TTL: '60' });
    try {
      expect(banner).toContain('API key to try: sandbox-key');
      expect(banner).toContain(`${url}/docs`);
      const now = async () =>
        Date.parse(
          (await (await fetch(`${url}/sandbox/clock`, { headers: { 'x-api-key': 'sandbox-key' } })).json()).now,
        );
      const before = await now();
      const res = await fetch(`${url}/jobs/availability/v2`, {
        method: 'POST',
        headers: { 'x-api-key': 'sandbox-key', 'content-type': 'application/json' },
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

  it('shows the log line of a single request without waiting for more traffic, as JSON when piped', async () => {
    const { child, url } = await serve(['--log-level', 'info']);
    try {
      const requestId = 'one-lonely-request';
      // With a 4 KB write buffer and nothing else happening, this line never came.
      const line = await logLineOf(child, requestId, () =>
        fetch(`${url}/healthz`, { headers: { 'x-request-id': requestId } }),
      );
      expect(JSON.parse(line)).toMatchObject({ service: 'lastmile-sandbox' });
    } finally {
      await stop(child);
    }
  });

  it('with --log-format pretty, writes readable lines rather than JSON', async () => {
    const { child, url } = await serve(['--log-level', 'info', '--log-format', 'pretty']);
    try {
      const requestId = 'a-readable-request';
      const line = await logLineOf(child, requestId, () =>
        fetch(`${url}/healthz`, { headers: { 'x-request-id': requestId } }),
      );
      expect(() => JSON.parse(line)).toThrow();
      expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: request /);
      expect(line).toContain('"url":"/healthz"');
    } finally {
      await stop(child);
    }
  });

  it('takes auto as pretty on a terminal and JSON lines when piped; json and pretty as they say', () => {
    expect([true, false].map((toTerminal) => resolveLogFormat('auto', toTerminal))).toEqual(['pretty', 'json']);
    expect([true, false].map((toTerminal) => resolveLogFormat('json', toTerminal))).toEqual(['json', 'json']);
    expect([true, false].map((toTerminal) => resolveLogFormat('pretty', toTerminal))).toEqual(['pretty', 'pretty']);
  });

  it.each([
    [['--cors'], {}, { cors: true, privateTarget: 201 }],
    [['--cors', '--no-webhook-allow-private'], {}, { cors: true, privateTarget: 422 }],
    [['--webhook-allow-private', '--cors'], {}, { cors: true, privateTarget: 201 }],
    [['--cors=false', '--webhook-allow-private', 'false'], {}, { cors: false, privateTarget: 422 }],
    [[], { LASTMILE_CORS: 'false', LASTMILE_WEBHOOK_ALLOW_PRIVATE: 'false' }, { cors: false, privateTarget: 422 }],
    [[], { LASTMILE_CORS: 'true' }, { cors: true, privateTarget: 201 }],
  ])('takes %j (env %j) as switches, as docs/server.md writes them', async (args, env, expected) => {
    const { child, url } = await serve(args, env);
    try {
      const health = await fetch(`${url}/healthz`, { headers: { origin: 'http://localhost:3000' } });
      const endpoint = await fetch(`${url}/sandbox/webhook-endpoints`, {
        method: 'POST',
        headers: { 'x-api-key': 'switches', 'content-type': 'application/json' },
        body: JSON.stringify({ url: 'http://127.0.0.1:9/hook' }),
      });
      expect({
        cors: health.headers.get('access-control-allow-origin') === '*',
        privateTarget: endpoint.status,
      }).toEqual(expected);
    } finally {
      await stop(child);
    }
  });
});
