/** Test-only: several instances of the server on one store, behind the round-robin proxy. */
import type { ServerConfig } from '../../server/config';
import { startServer, type RunningServer } from '../../server/main';
import { roundRobin, type RoundRobin } from './round-robin';

export interface Instances {
  instances: RunningServer[];
  proxy: RoundRobin;
  /** The proxy, then every instance. */
  close: () => Promise<void>;
}

/** `count` instances with `settings` (a store shared by all, for one), started together, and the proxy in front. */
export async function instancesBehindProxy(settings: Partial<ServerConfig>, count = 3): Promise<Instances> {
  const instances = await Promise.all(
    Array.from({ length: count }, () => startServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', ...settings })),
  );
  const proxy = await roundRobin(instances.map((i) => i.url));
  return {
    instances,
    proxy,
    close: async () => {
      await proxy.close();
      await Promise.all(instances.map((i) => i.close()));
    },
  };
}
