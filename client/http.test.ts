import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spec } from '../spec/contract';
import { curlCommand } from './curl';
import { CallFailure } from './exchange';
import { ContractClient, responseViolations } from './http';
import type { ApiResponse } from './api';
import type { Exchange } from './exchange';

/** The response as a 200, narrowed by its status as checks narrow it. */
function ctx200(response: ApiResponse<'getJob'>): ApiResponse<'getJob', 200> {
  if (response.status !== 200) throw new Error(`expected 200, got ${response.status}`);
  return response;
}

// A body to break on purpose, so it is read loosely.
const job = (): any => structuredClone(spec.components.examples.Job.value);
const json = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
  json: body,
});

describe('judging a response against the contract', () => {
  it('accepts a documented status with a valid JSON body', () => {
    expect(responseViolations('getJob', json(200, job()))).toEqual([]);
  });
  it('refuses a status the operation does not document', () => {
    expect(responseViolations('getJob', json(418, { code: 'INTERNAL', message: 'x' }))).toEqual([
      expect.stringMatching(/status 418 is not documented for getJob/),
    ]);
  });
  it('refuses a body that breaks the schema, naming the field', () => {
    const broken = job();
    broken.state = 'LOST';
    delete broken.recipient.name;
    expect(responseViolations('getJob', json(200, broken)).sort()).toEqual(
      [
        expect.stringMatching(/^body.recipient.name: is required/),
        expect.stringMatching(/^body.state: must be one of/),
      ].sort(),
    );
  });
  it('refuses another media type, an empty body and a body that is not JSON', () => {
    expect(responseViolations('getJob', { ...json(200, job()), headers: { 'content-type': 'text/html' } })).toEqual([
      expect.stringMatching(/content-type must be application\/json, got "text\/html"/),
    ]);
    expect(
      responseViolations('getJob', { status: 404, headers: { 'content-type': 'application/json' }, body: '' }),
    ).toEqual(['the body is empty; the spec documents a JSON body']);
    expect(
      responseViolations('getJob', { status: 404, headers: { 'content-type': 'application/json' }, body: '<html>' }),
    ).toEqual(['the body is not valid JSON']);
  });
  it('requires the documented Location header of a 201', () => {
    const created = { message: 'Job created', job_id: 'j1', warnings: [] };
    expect(responseViolations('createJob', json(201, created))).toEqual(['required header location is missing']);
    expect(responseViolations('createJob', json(201, created, { location: '/jobs/j1' }))).toEqual([]);
  });
  it('refuses a body on a status documented without one', () => {
    expect(responseViolations('deleteWebhookEndpoint', { status: 204, headers: {}, body: '' })).toEqual([]);
    expect(responseViolations('deleteWebhookEndpoint', { status: 204, headers: {}, body: '{}', json: {} })).toEqual([
      expect.stringMatching(/has no body/),
    ]);
  });
});

describe('the curl command', () => {
  it('repeats the request, quoting what a shell would expand', () => {
    expect(
      curlCommand({
        method: 'POST',
        url: 'http://h/jobs?a=1&b=2',
        headers: { 'x-api-key': "it's", 'content-type': 'application/json' },
        body: '{"a":"$HOME `x`"}',
      }),
    ).toBe(
      `curl -sS -i -X POST 'http://h/jobs?a=1&b=2' -H 'x-api-key: it'\\''s' -H 'content-type: application/json' --data-binary '{"a":"$HOME \`x\`"}'`,
    );
  });
  it('sends an empty header as curl spells it', () => {
    expect(curlCommand({ method: 'GET', url: 'http://h/', headers: { 'x-api-key': '' } })).toBe(
      `curl -sS -i -X GET 'http://h/' -H 'x-api-key;'`,
    );
  });
});

describe('the validating client against a hostile implementation', () => {
  let server: Server;
  let baseUrl: string;
  const seen: Exchange[] = [];
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/jobs/garbage': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": tru'),
    '/jobs/huge-status': (_req, res) => res.writeHead(599).end(),
    '/jobs/hang': () => undefined,
    '/jobs/ok': (req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ...job(), id: req.headers['x-api-key'] ?? 'none' })),
  };
  const client = (apiKey = 'k', allowSandbox = false) =>
    new ContractClient({ baseUrl, apiKey, timeoutMs: 300, allowSandbox, onExchange: (e) => seen.push(e) });

  beforeAll(async () => {
    server = createServer((req, res) => (routes[req.url ?? ''] ?? ((_q, r) => r.writeHead(404).end()))(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('records a conforming exchange with no violations and sends the key', async () => {
    const response = await client('tenant-a').call('getJob', { pathParams: { job_id: 'ok' } });
    const ok = ctx200(response);
    expect([ok.status, ok.json.id, ok.exchange.violations]).toEqual([200, 'tenant-a', []]);
    expect(response.exchange.curl).toContain("-H 'x-api-key: tenant-a'");
  });
  it('omits the key when asked to', async () => {
    const response = await client().call('getJob', { pathParams: { job_id: 'ok' }, apiKey: null });
    expect(ctx200(response).json.id).toBe('none');
  });
  it('turns broken JSON and an undocumented status into violations, not crashes', async () => {
    expect((await client().call('getJob', { pathParams: { job_id: 'garbage' } })).exchange.violations).toEqual([
      'the body is not valid JSON',
    ]);
    expect((await client().call('getJob', { pathParams: { job_id: 'huge-status' } })).exchange.violations[0]).toMatch(
      /status 599 is not documented/,
    );
  });
  it('gives up on a silent implementation after the timeout, with a curl to retry', async () => {
    const call = client().call('getJob', { pathParams: { job_id: 'hang' } });
    await expect(call).rejects.toBeInstanceOf(CallFailure);
    await expect(client().call('getJob', { pathParams: { job_id: 'hang' } })).rejects.toMatchObject({
      failure: { received: 'no answer within 300 ms' },
    });
    expect(seen[seen.length - 1].curl).toMatch(/^curl .*\/jobs\/hang'/);
  });
  it('reports a refused connection as a failure of the call', async () => {
    const dead = new ContractClient({
      baseUrl: 'http://127.0.0.1:9',
      apiKey: 'k',
      timeoutMs: 1000,
      allowSandbox: false,
      onExchange: () => undefined,
    });
    await expect(dead.call('getJob', { pathParams: { job_id: 'x' } })).rejects.toMatchObject({
      failure: { expected: 'an HTTP response' },
    });
  });
  it('encodes path parameters so that an id cannot change the route', async () => {
    const response = await client().call('getJob', { pathParams: { job_id: '../sandbox/clock' } });
    expect(response.exchange.request.url).toMatch(/\/jobs\/..%2Fsandbox%2Fclock$/);
  });
  it('keeps contract-level checks away from the sandbox', async () => {
    await expect(client().call('getClock')).rejects.toThrow(/may not call the sandbox operation/);
  });
});
