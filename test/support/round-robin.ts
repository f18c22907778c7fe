/**
 * Test-only: the smallest load balancer, sending each request to the next instance in
 * turn, so that consecutive calls of one client land on different processes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobin {
  url: string;
  /** Each request in the order it came, with the index of the upstream it was sent to. */
  served: Array<{ method: string; path: string; upstream: number }>;
  close(): Promise<void>;
}

export async function roundRobin(upstreams: string[]): Promise<RoundRobin> {
  let next = 0;
  const served: RoundRobin['served'] = [];
  const agent = new http.Agent({ keepAlive: true });
  const proxy = http.createServer((req, res) => {
    const upstream = next++ % upstreams.length;
    served.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0], upstream });
    const target = new URL(upstreams[upstream]);
    const forwarded = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'INTERNAL', message: 'upstream unreachable' }));
    });
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    close: () =>
      new Promise((resolve) => {
        agent.destroy();
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      }),
  };
}
