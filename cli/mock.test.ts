/** `lastmile mock` refuses a bad or busy port in one line with exit 2, before or instead of Prism's own usage text. */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { buildProgram } from './main';
import { runPrismMock } from './mock';

const BIN = join(__dirname, '..', 'bin', 'lastmile.js');

function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** What the user sees, minus the notice a source checkout prints before any command. */
const reasonLines = (stderr: string) => stderr.split('\n').filter((l) => l !== '' && !l.includes('no build in dist/'));

function holdPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe('lastmile mock usage errors', () => {
  it.each([
    [['mock', '--port', '-3'], {}, /--port must be an integer from 0 to 65535.*'-3'/],
    [['mock', '--port', 'abc'], {}, /--port must be an integer from 0 to 65535.*'abc'/],
    [['mock', '--port', '70000'], {}, /--port must be an integer from 0 to 65535.*'70000'/],
    [['mock'], { LASTMILE_MOCK_PORT: 'abc' }, /LASTMILE_MOCK_PORT.*--port must be an integer/],
  ])(
    '%j (env %j) exits 2 with one reason line, no Prism usage',
    async (args, env, reason) => {
      const { code, stdout, stderr } = await run(args, env);
      const lines = reasonLines(stderr);
      expect({ code, stdout, lines: lines.length, reason: reason.test(lines[0] ?? '') }).toEqual({
        code: 2,
        stdout: '',
        lines: 1,
        reason: true,
      });
      expect(stderr).not.toMatch(/prism mock <document>|\n\s+at /);
    },
    30_000,
  );

  it('refuses a port in use with the reason serve gives, without starting Prism', async () => {
    const { server, port } = await holdPort();
    try {
      const { code, stdout, stderr } = await run(['mock', '--port', String(port)]);
      expect({ code, stdout, lines: reasonLines(stderr) }).toEqual({
        code: 2,
        stdout: '',
        lines: [`lastmile: port ${port} on 127.0.0.1 is in use; try --port 0 or another port`],
      });
    } finally {
      server.close();
    }
  }, 30_000);

  it('turns Prism failing to bind (the port taken after the check) into the same one-line reason', async () => {
    const { server, port } = await holdPort();
    const written: string[] = [];
    const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      await expect(runPrismMock({ port, host: '127.0.0.1' })).rejects.toThrow(
        `port ${port} on 127.0.0.1 is in use; try --port 0 or another port`,
      );
      expect(written.join('')).not.toMatch(/prism mock <document>|fatal/);
    } finally {
      out.mockRestore();
      err.mockRestore();
      server.close();
    }
  }, 30_000);
});

describe('help text', () => {
  function helpOf(command: string): string {
    const program = buildProgram(undefined, ['node', 'lastmile', command]);
    const sub = program.commands.find((c) => c.name() === command)!;
    return sub.helpInformation();
  }

  it('mock --help names LASTMILE_MOCK_PORT', () => {
    expect(helpOf('mock')).toContain('LASTMILE_MOCK_PORT');
  });

  it('every option of fixtures --help ends in a whole sentence, not a dangling word', () => {
    const dangling = /\b(of|the|a|an|and|or|to|with|for|in|on|by)$/;
    const program = buildProgram(undefined, ['node', 'lastmile', 'fixtures']);
    const fixtures = program.commands.find((c) => c.name() === 'fixtures')!;
    const broken = fixtures.options
      .filter((o) => dangling.test(o.description.trim()))
      .map((o) => `${o.flags}: ${o.description}`);
    expect(broken).toEqual([]);
    expect(helpOf('fixtures')).toContain('--locale');
  });
});
