import { createServer } from 'node:net';

/**
 * A port nothing listens on right now on 127.0.0.1, for servers that must be told their
 * port up front (Redis reads --port 0 as "no TCP at all"; Prism has no port 0).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
