/**
 * How a mutant is made from the reference server without touching its source: a public
 * method of a running instance replaced, a policy, a transport or a store passed through
 * the start options any caller may pass, or a small HTTP proxy in front of it that
 * rewrites requests or responses. Test-only: nothing here is reachable from
 * `lastmile serve`.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServer, type RunningServer, type StartOptions } from '../../server/main';
import type { ServerConfig } from '../../server/config';
import type { Sandbox } from '../../server/application/sandbox';
import type { Job, SlotRecord } from '../../server/domain/store';
import type { Store, Transaction } from '../../server/store/records';
import { sender, type Send } from '../../server/webhooks/sender';

/** A running variant of the server, addressed over HTTP like any implementation. */
export interface RunningMutant {
  url: string;
  close(): Promise<void>;
}

type Method = (...args: never[]) => unknown;
/** The public methods of T: private ones are not in `keyof`, so a mutant cannot name them. */
type PublicMethodName<T> = { [K in keyof T]: T[K] extends Method ? K : never }[keyof T] & string;

/**
 * Replaces the public method `target[name]` on this instance only. `wrap` gets the
 * original, bound to the receiver of each call, and returns the replacement: a call may
 * come through a view of the instance (the sandbox behind a request's fault gate, made per
 * request), and the original must run as that view.
 */
export function patchMethod<T extends object, K extends PublicMethodName<T>>(
  target: T,
  name: K,
  wrap: (original: T[K]) => T[K],
): void {
  const original = target[name];
  if (typeof original !== 'function') throw new Error(`${target.constructor.name} has no method ${name} to patch`);
  target[name] = function (this: T, ...args: unknown[]) {
    return (wrap(original.bind(this) as T[K]) as (...a: unknown[]) => unknown)(...args);
  } as T[K];
}

/**
 * The reference server started with `options` (policies, a transport, a store), then
 * `mutate` applied to its instances before the first request.
 */
export async function patchedServer(
  mutate: (server: RunningServer) => void,
  config: Partial<ServerConfig> = {},
  options: StartOptions = {},
): Promise<RunningMutant> {
  const server = await startServer({ port: 0, host: '127.0.0.1', ...config }, options);
  mutate(server);
  return {
    url: server.url,
    close: async () => {
      await server.close();
    },
  };
}

/** A mutant made by changing the running server (its sandbox, outbox, config). */
export const onServer = (mutate: (server: RunningServer) => void) => () => patchedServer(mutate);

/** A mutant made by starting the server with other rules (see SandboxPolicies). */
export const withPolicies = (policies: NonNullable<StartOptions['policies']>) => () =>
  patchedServer(() => undefined, {}, { policies });

/** A mutant whose webhook transport is the server's own, wrapped: `wrap` gets it and returns the one used. */
export const withTransport = (wrap: (send: Send) => Send) => () => {
  let send: Send | undefined;
  const wrapped = wrap((url, agent, headers, body) => send!(url, agent, headers, body));
  return patchedServer(
    (server) => {
      send = sender(server.outbox.config);
    },
    {},
    { webhookTransport: wrapped },
  );
};

/** Writes one slot record through the store; `change` returns undefined to leave it. */
export async function changeSlot(
  sandbox: Sandbox,
  key: string,
  slotId: string,
  change: (slot: SlotRecord) => SlotRecord | undefined,
): Promise<SlotRecord | undefined> {
  return sandbox.store.transact(key, async (tx) => {
    const slot = await tx.slots.get(slotId);
    const changed = slot && change(slot);
    if (changed) tx.slots.put(changed);
    return slot;
  });
}

/** Writes one job record through the store, as the domain would; `change` returns undefined to leave it. */
export async function changeJob(
  sandbox: Sandbox,
  key: string,
  jobId: string,
  change: (job: Job) => Job | undefined,
): Promise<Job | undefined> {
  return sandbox.store.transact(key, async (tx) => {
    const job = await tx.jobs.get(jobId);
    const changed = job && change(job);
    if (changed) tx.jobs.put(changed);
    return changed;
  });
}

export interface ProxiedExchange {
  method: string;
  path: string;
  requestHeaders: IncomingHttpHeaders;
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ProxyRewrites {
  /** The request body to send on; return it unchanged to leave it alone. */
  request?(method: string, path: string, body: Buffer): Buffer;
  /** The response to give back instead of the server's; mutate and return it. */
  response?(exchange: ProxiedExchange): ProxiedExchange;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);

/** The whole of a request or response body. */
export async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The headers a proxy passes on: all but the hop-by-hop ones, repeated ones joined. */
export function forwardable(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** A proxy in front of `upstream` that applies `rewrites`; closing it closes the upstream too. */
export async function behindProxy(upstream: RunningMutant, rewrites: ProxyRewrites): Promise<RunningMutant> {
  const target = new URL(upstream.url);
  const agent = new http.Agent({ keepAlive: true });
  const proxy = http.createServer(async (req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    let body = await readAll(req);
    if (rewrites.request) body = rewrites.request(method, path.split('?')[0], body);
    const headers = forwardable(req.headers);
    if (body.length > 0 || req.headers['content-length'] !== undefined) headers['content-length'] = String(body.length);
    const upstreamReq = http.request(
      { host: target.hostname, port: target.port, method, path, headers, agent },
      async (upstreamRes) => {
        const answer = await readAll(upstreamRes);
        let exchange: ProxiedExchange = {
          method,
          path: path.split('?')[0],
          requestHeaders: req.headers,
          status: upstreamRes.statusCode ?? 502,
          headers: forwardable(upstreamRes.headers),
          body: answer.toString('utf8'),
        };
        if (rewrites.response) exchange = rewrites.response(exchange);
        res
          .writeHead(exchange.status, {
            ...exchange.headers,
            'content-length': String(Buffer.byteLength(exchange.body)),
          })
          .end(exchange.body);
      },
    );
    upstreamReq.on('error', (error) => res.writeHead(502).end(error.message));
    upstreamReq.end(body);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    async close() {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      agent.destroy();
      await upstream.close();
    },
  };
}

/**
 * Rewrites a JSON body in place; leaves anything that is not JSON alone. `any` on purpose:
 * a body under test can be anything, and each mutant knows the shape it edits.
 */
export function editJson(text: string, edit: (value: any) => unknown): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text;
  }
  const result = edit(value);
  return JSON.stringify(result === undefined ? value : result);
}

/**
 * `inner` with every transaction seen through `view` (a mutant's altered record sets); every
 * other member is the inner store's own, so the wrapper follows the Store contract as it grows.
 */
export function viewingStore(inner: Store, view: (tx: Transaction) => Transaction | Promise<Transaction>): Store {
  const transact = (key: string, fn: (tx: Transaction) => Promise<unknown>, options?: object) =>
    inner.transact(key, async (tx) => fn(await view(tx)), options as never);
  return new Proxy(inner, {
    get: (target, name) => {
      if (name === 'transact') return transact;
      const value: unknown = Reflect.get(target, name, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
