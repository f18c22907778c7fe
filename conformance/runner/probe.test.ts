/**
 * A base URL that answers HTTP but reaches no implementation of the contract (a wrong path
 * or port, another service) stops the run at once, with what was asked and what came back;
 * an implementation that merely breaks the contract, or has no sandbox when none is used,
 * still gets its checks run.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildProgram, exitCodeFor } from '../../cli/main';
import { patchedServer, type RunningMutant } from '../../test/mutants/tools';
import { runConformance, WrongBaseUrlError } from './runner';
import type { Check } from '../checks/context';

const stub = (id: string, level: Check['level']): Check => ({
  id,
  title: id,
  category: 'probe',
  level,
  operations: [],
  statuses: {},
  run: async () => undefined,
});
const contractOnly = [stub('P-CONTRACT', 'contract')];
const withSandbox = [...contractOnly, stub('P-SANDBOX', 'sandbox')];

const servers: Server[] = [];
async function serve(listener: RequestListener): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    listener(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
const json =
  (status: number, body: unknown): RequestListener =>
  (_req, res) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

let reference: RunningMutant;
let htmlEverywhere: string;
beforeAll(async () => {
  reference = await patchedServer(() => undefined);
  htmlEverywhere = await serve((_req, res) =>
    res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body><h1>Not Found</h1></body></html>'),
  );
});
afterAll(async () => {
  await reference.close();
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

const run = (baseUrl: string, checks: Check[]) => runConformance({ baseUrl, apiKey: 'probe', checks, timeoutMs: 3000 });

describe('a base URL that reaches no implementation of the contract', () => {
  it('stops on a server that answers an HTML 404 to everything, saying what was asked and what came back', async () => {
    const stopped = run(htmlEverywhere, withSandbox);
    await expect(stopped).rejects.toThrow(WrongBaseUrlError);
    await expect(stopped).rejects.toThrow(
      new RegExp(
        `GET ${htmlEverywhere}/jobs/conform-probe-[0-9a-f]+ answered 404 text/html "<html><body><h1>Not Found</h1></body></html>"; ` +
          'the spec documents a JSON body for GET /jobs/\\{job_id\\} 404, and this is not JSON\\. Check --base-url',
      ),
    );
  });

  it('stops on the reference server with a path it does not have, and runs on the right one', async () => {
    const stopped = run(`${reference.url}/api`, withSandbox);
    await expect(stopped).rejects.toThrow(WrongBaseUrlError);
    await expect(stopped).rejects.toThrow(
      /answered 404 application\/json[^"]* "\{\\"code\\":\\"ROUTE_NOT_FOUND\\".*the answer says there is no such route/,
    );
    expect((await run(reference.url, withSandbox)).summary).toEqual({ passed: 2, failed: 0, skipped: 0 });
  });

  it('stops on a /healthz that is missing or not JSON when the run uses the sandbox', async () => {
    const routes = (health: RequestListener) =>
      serve((req, res) =>
        req.url === '/healthz' ? health(req, res) : json(404, { code: 'JOB_NOT_FOUND', message: 'no' })(req, res),
      );
    const missing = await routes(json(404, { code: 'NOT_HERE', message: 'no' }));
    await expect(run(missing, withSandbox)).rejects.toThrow(
      /GET \S+\/healthz answered 404 .*every implementation of the sandbox answers.*judged with --level contract/,
    );
    const text = await routes((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('OK'));
    await expect(run(text, withSandbox)).rejects.toThrow(
      /GET \S+\/healthz answered 200 text\/plain "OK"; the spec documents a JSON body for GET \/healthz 200/,
    );
    // Production operations alone: /healthz is not asked, and nothing stops.
    expect((await run(missing, contractOnly)).summary.passed).toBe(1);
  });

  it('never stops for answers that break the contract but come from one (the checks say so)', async () => {
    const sloppy = await serve((req, res) =>
      req.url === '/healthz' ? json(200, { up: true })(req, res) : json(404, { error: 'job not found' })(req, res),
    );
    expect((await run(sloppy, withSandbox)).summary.passed).toBe(2);
    const undocumented = await serve((_req, res) =>
      res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>'),
    );
    expect((await run(undocumented, withSandbox)).summary.passed).toBe(2);
  });

  it('makes lastmile conform exit 2 before any check, with the hint', async () => {
    let stdout = '';
    const write = process.stdout.write.bind(process.stdout);
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    });
    let error: unknown;
    try {
      const argv = ['node', 'lastmile', 'conform', '--base-url', htmlEverywhere, '--api-key', 'k', '--only', 'auth'];
      await buildProgram({ writeOut: write, writeErr: write }, argv).parseAsync(argv);
    } catch (thrown) {
      error = thrown;
    } finally {
      spy.mockRestore();
    }
    expect(exitCodeFor(error)).toBe(2);
    expect((error as Error).message).toMatch(/answered 404 text\/html .*Check --base-url: its path/);
    expect(stdout).not.toMatch(/^(PASS|FAIL|SKIP) /m);
  });
});
