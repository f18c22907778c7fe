/**
 * The sandbox inside an integrator's own tests: `startSandbox()` serves the reference server
 * in-process on an ephemeral loopback port and hands back its URL, a default API key, the
 * typed client and the tenant helpers; `close()` leaves nothing running. spawnSandbox() does
 * the same in a child process, for a test runner's global setup.
 */
import { DEFAULT_API_KEY } from '../server/config';
import { startServer, type RunningServer } from '../server/main';
import { readSettings, type SandboxOptions } from './options';
import { Tenant } from './tenant';

export {
  SandboxError,
  Tenant,
  type Clock,
  type DriveOptions,
  type Job,
  type JobState,
  type WebhookEndpoint,
} from './tenant';
export { spawnSandbox, type SpawnedSandbox } from './process';
export type { SandboxOptions } from './options';

export interface RunningSandbox extends Tenant {
  /** Where it listens, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The helpers and the typed client on another key: another isolated tenant. */
  tenant(apiKey: string): Tenant;
  /** Stops the server; once it resolves no socket, timer or connection of the sandbox is left. */
  close(): Promise<void>;
}

class InProcessSandbox extends Tenant implements RunningSandbox {
  constructor(
    private readonly server: RunningServer,
    apiKey: string,
  ) {
    super(server.url, apiKey);
  }

  get url(): string {
    return this.server.url;
  }

  tenant(apiKey: string): Tenant {
    return new Tenant(this.server.url, apiKey);
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}

/**
 * Starts a sandbox in this process. Options are the settings of `lastmile serve`, checked as
 * it checks them; here `port` defaults to 0 (a free port) and `logLevel` to `silent`.
 * The default API key is the first of `apiKeys`, else `sandbox-key`.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const { config } = readSettings(options);
  const server = await startServer({ port: 0, logLevel: 'silent', ...config });
  return new InProcessSandbox(server, server.config.apiKeys?.[0] ?? DEFAULT_API_KEY);
}
