/** The store setting's Redis Cluster addresses: parsed, refused with the reason, shown without credentials. */
import { isClusterUrl, parseClusterUrl, redactedStoreUrl } from './redis-address';
import { SETTINGS } from '../settings';

it('reads every node of a redis-cluster:// URL, with its credentials', () => {
  expect(parseClusterUrl('redis-cluster://app:s%3Acret@10.0.0.1:7000,redis-b:7001,[::1]:7002')).toEqual({
    nodes: [
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '::1', port: 7002 },
    ],
    username: 'app',
    password: 's:cret',
  });
  expect(isClusterUrl('redis://127.0.0.1:6379')).toBe(false);
});

it.each(['redis-cluster://', 'redis-cluster://host', 'redis-cluster://a:7000,,b:7001', 'redis-cluster://a:99999'])(
  'refuses %s with the node at fault',
  (raw) => {
    expect(() => parseClusterUrl(raw)).toThrow(/a cluster node is host:port/);
    expect(() => SETTINGS.store.parse(raw, '--store')).toThrow(/^--store: a cluster node is host:port, got ".*"/);
  },
);

it('shows an address without user or password', () => {
  expect(redactedStoreUrl('redis-cluster://app:secret@a:7000,b:7001')).toBe('redis-cluster://a:7000,b:7001');
  expect(redactedStoreUrl('redis://app:secret@a:6379/2')).toBe('redis://a:6379/2');
  expect(redactedStoreUrl('memory')).toBe('memory');
  expect(SETTINGS.store.parse('redis-cluster://a:7000,b:7001', '--store')).toBe('redis-cluster://a:7000,b:7001');
});
