/**
 * The compiled route table against Express's own router, given a route per operation as the
 * server had before: for every operation's path and its variants (case, trailing slashes,
 * encodings, empty and broken segments) and every method, both find the same operation and
 * parameters, the same 405 with the same Allow, the same 404 and the same decoding error.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { operations } from '../../spec/contract';
import { RouteTable, type RouteMatch } from './routes';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

type Outcome = RouteMatch<string> | { kind: 'none' } | { kind: 'error'; message: string };

function expressReference(): express.Express {
  const app = express();
  const answer = (res: Response, outcome: Outcome) => {
    res.setHeader('x-outcome', encodeURIComponent(JSON.stringify(outcome)));
    res.end();
  };
  const expressPath = (template: string) => template.replace(/\{(\w+)\}/g, ':$1');
  for (const op of operations) {
    const method = op.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
    app[method](expressPath(op.path), (req: Request, res: Response) =>
      answer(res, { kind: 'route', target: op.operationId, params: { ...req.params } as Record<string, string> }),
    );
  }
  const methodsByPath = new Map<string, string[]>();
  for (const op of operations) methodsByPath.set(op.path, [...(methodsByPath.get(op.path) ?? []), op.method]);
  for (const [path, methods] of methodsByPath) {
    const allow = [...methods, ...(methods.includes('GET') ? ['HEAD'] : [])].join(', ');
    app.all(expressPath(path), (_req: Request, res: Response) => answer(res, { kind: 'method-not-allowed', allow }));
  }
  app.use((_req: Request, res: Response) => answer(res, { kind: 'none' }));
  app.use((error: Error, _req: Request, res: Response, _next: NextFunction) =>
    answer(res, { kind: 'error', message: error.message }),
  );
  return app;
}

function variants(template: string): string[] {
  const filled = (value: string) => template.replace(/\{\w+\}/g, value);
  const plain = filled('abc-123');
  return [
    plain,
    `${plain}/`,
    `${plain}//`,
    plain.toUpperCase(),
    `${plain}x`,
    `${plain}/extra`,
    filled('a%2Fb'),
    filled('%C3%A9t%C3%A9'),
    filled('%E0%A4%A'),
    filled('%zz'),
    filled(''),
    filled('availability'),
    filled('v2.json'),
    filled('__proto__'),
  ];
}

describe('RouteTable', () => {
  const table = new RouteTable(operations.map((op) => ({ method: op.method, path: op.path, target: op.operationId })));
  const ours = (method: string, path: string): Outcome => {
    try {
      return table.match(method, path) ?? { kind: 'none' };
    } catch (error) {
      return { kind: 'error', message: (error as Error).message };
    }
  };

  it("finds exactly what Express's router finds, for every method and path variant", async () => {
    const app = expressReference();
    const paths = [
      ...new Set([...operations.flatMap((op) => variants(op.path)), '/', '/jobs/', '/JOBS', '/docs', '/nope/nope']),
    ];
    const differences: string[] = [];
    let routed = 0;
    for (const path of paths) {
      for (const method of METHODS) {
        const res = await request(app)[method.toLowerCase() as 'get'](path);
        const theirs = JSON.parse(decodeURIComponent(String(res.headers['x-outcome'])));
        const mine = ours(method, path);
        if (mine.kind === 'route') routed += 1;
        if (JSON.stringify(mine) !== JSON.stringify(theirs))
          differences.push(`${method} ${path}: ours ${JSON.stringify(mine)}, Express ${JSON.stringify(theirs)}`);
      }
    }
    expect(differences).toEqual([]);
    expect(routed).toBeGreaterThan(operations.length);
    // One request per operation, path variant and method, one after another: long on a busy machine.
  }, 120_000);

  it("serves HEAD with GET, decodes parameters and prefers the spec's order", () => {
    expect(ours('HEAD', '/jobs/j%201')).toEqual({ kind: 'route', target: 'getJob', params: { job_id: 'j 1' } });
    expect(ours('POST', '/jobs/availability/v2')).toEqual({ kind: 'route', target: 'getAvailability', params: {} });
    expect(ours('PATCH', '/jobs/j1')).toEqual({ kind: 'method-not-allowed', allow: 'GET, HEAD' });
    expect(ours('GET', '/jobs/%E0')).toEqual({ kind: 'error', message: "Failed to decode param '%E0'" });
  });
});
