/**
 * Where the Redis store lives: one Redis (`redis://` or `rediss://`), or a Redis Cluster
 * (`redis-cluster://[user:pass@]host:port[,host:port…]`, the nodes to start from; the
 * client finds the rest). Plain parsing, so that the settings can check an address without
 * loading a client.
 */

export const CLUSTER_SCHEME = 'redis-cluster:';

export interface ClusterAddress {
  nodes: Array<{ host: string; port: number }>;
  username?: string;
  password?: string;
}

/** Whether the store setting names a Redis Cluster. */
export function isClusterUrl(store: string): boolean {
  return store.startsWith(`${CLUSTER_SCHEME}//`);
}

/** The nodes and credentials of a `redis-cluster://` URL; throws a one-line Error on anything else. */
export function parseClusterUrl(raw: string): ClusterAddress {
  if (!isClusterUrl(raw)) throw new Error(`not a ${CLUSTER_SCHEME}// URL`);
  let rest = raw.slice(CLUSTER_SCHEME.length + 2).replace(/\/$/, '');
  const address: ClusterAddress = { nodes: [] };
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const [user, ...password] = rest.slice(0, at).split(':');
    if (user) address.username = decodeURIComponent(user);
    if (password.length) address.password = decodeURIComponent(password.join(':'));
    rest = rest.slice(at + 1);
  }
  for (const node of rest.split(',')) {
    const match = /^([^:/?#,\s]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(node);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) throw new Error(`a cluster node is host:port, got "${node}"`);
    address.nodes.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
  }
  return address;
}

/** The address without credentials, fit for a banner, a log line or an error message. */
export function redactedStoreUrl(raw: string): string {
  if (raw === 'memory') return raw;
  if (isClusterUrl(raw)) {
    try {
      const { nodes } = parseClusterUrl(raw);
      return `${CLUSTER_SCHEME}//${nodes.map((n) => `${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`).join(',')}`;
    } catch {
      return 'redis-cluster';
    }
  }
  try {
    const url = new URL(raw);
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return 'redis';
  }
}
