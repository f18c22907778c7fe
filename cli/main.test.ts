/** Every usage error exits 2, as docs/server.md promises; help and version exit 0. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildProgram, exitCodeFor } from './main';

const BIN = join(__dirname, '..', 'bin', 'lastmile.js');

async function exitOf(args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const program = buildProgram({
    writeOut: () => undefined,
    writeErr: (text) => {
      err += text;
    },
  });
  try {
    await program.parseAsync(['node', 'lastmile', ...args]);
    return { code: 0, err };
  } catch (error) {
    return { code: exitCodeFor(error), err: err || String((error as Error).message) };
  }
}

describe('lastmile usage errors', () => {
  it.each([
    [['--bogus'], /unknown option '--bogus'/],
    [['conform', '--bogus'], /unknown option '--bogus'/],
    [['conform', '--level', 'prod', '--base-url', 'http://127.0.0.1:1', '--api-key', 'k'], /'prod' is invalid/],
    [['conform', '--base-url', 'not a url', '--api-key', 'k'], /not a URL/],
    [['conform', '--base-url', 'ftp://127.0.0.1', '--api-key', 'k'], /not an http\(s\) URL/],
    [['conform', '--api-key', 'k', '--base-url', ''], /not a URL/],
    [['conform-receiver', '--secret', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], /--url is required/],
    [['conform-receiver', '--url', 'http://127.0.0.1:1/webhooks'], /--secret is required/],
    [
      ['conform-receiver', '--url', 'http://127.0.0.1:1/webhooks', '--secret', 'whsec_not base64!'],
      /not a webhook secret/,
    ],
    [
      ['conform-receiver', '--url', '127.0.0.1:3000/webhooks', '--secret', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      /not an http\(s\) URL|not a URL/,
    ],
    [['conform-receiver', '--timeout', '0'], /--timeout must be/],
    [['fixtures', '--count', 'many'], /--count must be/],
    [['fixtures', '--post', '--base-url', '127.0.0.1:4000', '--api-key', 'k'], /not an http\(s\) URL|not a URL/],
    [['fixtures', '--locale', 'xx_XX'], /'xx_XX' is invalid/],
    [['serve', '--port', 'abc'], /--port must be an integer/],
    [['serve', '--cors', 'maybe'], /--cors must be true or false/],
    [['serve', '--log-format', 'xml'], /^--log-format must be one of auto, json, pretty, got "xml"$/],
    [['mock', '--bogus'], /unknown option/],
    [['nosuchcommand'], /unknown command/],
  ])('%j exits 2 with the reason', async (args, reason) => {
    const { code, err } = await exitOf(args);
    expect({ code, err: reason.test(err) ? 'named' : err }).toEqual({ code: 2, err: 'named' });
  });

  it.each([[['--help']], [['--version']], [['conform', '--help']], [['conform-receiver', '--help']]])(
    '%j exits 0',
    async (args) => {
      expect((await exitOf(args)).code).toBe(0);
    },
  );

  it('exits 2 from the real command, with the message on stderr', () => {
    const run = spawnSync(process.execPath, [BIN, 'conform', '--level', 'prod'], { encoding: 'utf8' });
    expect([run.status, run.stdout]).toEqual([2, '']);
    expect(run.stderr).toMatch(/'prod' is invalid/);
  });
});
