/**
 * Commits one transaction of the Redis store atomically: checks every version the
 * transaction read (or overwrites) is unchanged, then applies its writes, keeps the order
 * and pending indexes, and keeps the tenant's expiry. Returns 1, or 0 when something
 * changed since (nothing is written then, and the caller runs its function again).
 *
 * Every key of a tenant expires at one instant, 'expat' in its meta (Redis's own time: the
 * store's clock may be a test's). The first commit that finds it less than `ttlMs` ahead sets
 * it `ttlMs` + `renewMs` ahead, for every key at once, so at most once per `renewMs`; between
 * renewals, a key a commit creates is given that instant. A tenant thus expires between
 * `ttlMs` and `ttlMs` + `renewMs` after its last write, all of it at once, and a commit costs
 * no call per key of the tenant.
 *
 * Pending deliveries are indexed twice: by tenant ('pending', by age) and by job
 * ('pendingj': members "<job id>|<age, 15 digits>|<delivery id>", all of score 0, so a
 * job's are the lexical range from "[<job id>|" to "(<job id>}", oldest first; 'pendingm'
 * maps a delivery to its member). A tenant stored before the per-job index existed gets it
 * at its first commit ('pjindex' in its meta says it is built). Each job's pending set has
 * a version of its own ('pendingjv'), so a transaction that read one job's chain conflicts
 * only with changes to that job's, not with every event and attempt of the tenant.
 *
 * The due-time index ('due', global: tenant id → the real time its deliveries may next be
 * due) is lowered to `dueAt` (now, or a little later: see `handOverMs` in
 * server/store/redis.ts) by any commit that writes a delivery or the clock while deliveries
 * are pending; 'duev' in the meta counts those commits, so that whoever raises the tenant's
 * time afterwards (server/store/redis.ts, `indexDue`) can tell it raced one.
 *
 * ARGV[1] is the payload (JSON); each put names its record's text by its place in ARGV, as
 * the texts follow the payload: JSON inside JSON would escape every record twice, and Redis
 * would decode each once more.
 *
 * KEYS[1] is the tenant's meta key, so that a cluster client sends the script to the
 * tenant's slot; every key the script touches carries the tenant's hash tag. The two global
 * indexes ('tenants', 'due') are in the payload only on one Redis: on a cluster they live in
 * other slots, and the store writes them around the commit.
 */
import { KINDS } from './records';

/** Every key of a tenant, after its base: each expires with the tenant. */
export const TENANT_PARTS: readonly string[] = [
  'meta',
  'pending',
  'pendingj',
  'pendingm',
  'pendingjv',
  ...KINDS.flatMap((kind) => [kind, `${kind}:v`, `${kind}:o`]),
];

export const COMMIT_SCRIPT = `
local p = cjson.decode(ARGV[1])
local b = p.base
local touched = {meta = true}
for _, c in ipairs(p.checks) do
  local v = tonumber(redis.call('HGET', b .. c[1], c[2]) or '0')
  if v ~= c[3] then return 0 end
end
if p.checkOnly then return 1 end
local meta = b .. 'meta'
redis.call('HSETNX', meta, 'opened', p.now)
for _, w in ipairs(p.puts) do
  local coll, id = w[1], w[2]
  touched[coll], touched[coll .. ':v'], touched[coll .. ':o'] = true, true, true
  redis.call('HSET', b .. coll, id, ARGV[w[3]])
  redis.call('HINCRBY', b .. coll .. ':v', id, 1)
  if not redis.call('ZSCORE', b .. coll .. ':o', id) then
    redis.call('ZADD', b .. coll .. ':o', redis.call('HINCRBY', meta, 'seq', 1), id)
  end
end
for _, d in ipairs(p.dels) do
  local coll, id = d[1], d[2]
  touched[coll .. ':v'] = true
  redis.call('HDEL', b .. coll, id)
  redis.call('HINCRBY', b .. coll .. ':v', id, 1)
  redis.call('ZREM', b .. coll .. ':o', id)
end
if p.clock then
  redis.call('HSET', meta, 'clock', p.clock)
  redis.call('HINCRBY', meta, 'clockv', 1)
end
local pending = b .. 'pending'
local pendingj = b .. 'pendingj'
local pendingm = b .. 'pendingm'
local pendingjv = b .. 'pendingjv'
local function indexByJob(id, job)
  touched.pending, touched.pendingj, touched.pendingm, touched.pendingjv = true, true, true, true
  local member = job .. '|' .. string.format('%015d', tonumber(redis.call('ZSCORE', b .. 'deliveries:o', id))) .. '|' .. id
  redis.call('ZADD', pendingj, 0, member)
  redis.call('HSET', pendingm, id, member)
  redis.call('HINCRBY', pendingjv, job, 1)
end
if redis.call('HEXISTS', meta, 'pjindex') == 0 then
  for _, id in ipairs(redis.call('ZRANGE', pending, 0, -1)) do
    local text = redis.call('HGET', b .. 'deliveries', id)
    if text then indexByJob(id, cjson.decode(text).job_id) end
  end
  redis.call('HSET', meta, 'pjindex', 1)
end
local changed = false
for _, a in ipairs(p.pendingAdd) do
  local id = a[1]
  if not redis.call('ZSCORE', pending, id) then
    redis.call('ZADD', pending, redis.call('ZSCORE', b .. 'deliveries:o', id), id)
    indexByJob(id, a[2])
    changed = true
  end
end
for _, id in ipairs(p.pendingDel) do
  if redis.call('ZREM', pending, id) == 1 then
    changed = true
    local member = redis.call('HGET', pendingm, id)
    if member then
      redis.call('ZREM', pendingj, member)
      redis.call('HDEL', pendingm, id)
      touched.pendingjv = true
      redis.call('HINCRBY', pendingjv, string.sub(member, 1, string.find(member, '|', 1, true) - 1), 1)
    end
  end
end
if changed then redis.call('HINCRBY', meta, 'pendingv', 1) end
if p.dueTouch then
  redis.call('HINCRBY', meta, 'duev', 1)
  if p.due and redis.call('ZCARD', pending) > 0 then redis.call('ZADD', p.due, 'LT', p.dueAt, p.tenant) end
end
if p.tenants then redis.call('ZADD', p.tenants, p.now, p.tenant) end
local clock = redis.call('TIME')
local redisNow = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local expat = tonumber(redis.call('HGET', meta, 'expat') or '0')
if expat < redisNow + p.ttlMs then
  expat = redisNow + p.ttlMs + p.renewMs
  redis.call('HSET', meta, 'expat', expat)
  for _, part in ipairs({${TENANT_PARTS.map((part) => `'${part}'`).join(', ')}}) do
    if redis.call('EXISTS', b .. part) == 1 then redis.call('PEXPIREAT', b .. part, expat) end
  end
else
  for part in pairs(touched) do
    if redis.call('PTTL', b .. part) == -1 then redis.call('PEXPIREAT', b .. part, expat) end
  end
end
return 1
`;
