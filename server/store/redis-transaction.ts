/**
 * One transaction on the Redis store: reads that remember the version of each record, and
 * the payload its commit script checks and applies (server/store/redis-commit.ts).
 */
import type { RedisClient } from './redis-connection';
import { RUNNING_CLOCK } from '../domain/clock';
import { clientIdFor } from '../domain/ids';
import { isTenantRef } from '../domain/tenants';
import type { ClockState, Prefetch } from '../domain/store';
import type { DeliveryRecord } from '../webhooks/records';
import { KINDS, RecordSetsByKind, type Kind, type Records, type Transaction } from './records';
import { BufferedPendingDeliveries, BufferedRecordSet, type CommittedRecords } from './write-buffer';

const LIST_BATCH = 200;

/** The commit script's call: the payload (JSON), then the text of each record it puts (see server/store/redis-commit.ts). */
export type CommitClient = RedisClient & {
  lastmileCommit(metaKey: string, payload: string, ...texts: string[]): Promise<number>;
  /** FIRST_READ_SCRIPT: the tenant's base, the count of named records, kind and id of each, then job ids. */
  lastmileFirstRead(metaKey: string, ...args: string[]): Promise<FirstReadReply>;
  /** PENDING_OF_JOB_SCRIPT: the tenant's base, the job id. */
  lastmilePendingOfJob(metaKey: string, base: string, jobId: string): Promise<PendingOfJobReply>;
};

/** How a transaction reaches Redis: one call, a failure turned into StoreUnavailableError. */
export type RedisCall = <T>(command: (redis: CommitClient) => Promise<T>) => Promise<T>;

interface Versioned<T> {
  record: T | undefined;
  version: number;
}

function parse<T>(text: string | null): T | undefined {
  return text === null ? undefined : (JSON.parse(text) as T);
}

/** Records as Redis answered them: texts (null when absent) and versions, in the same order. */
function versionedOf<T>(texts: Array<string | null>, versions: Array<string | null>): Array<Versioned<T>> {
  return texts.map((text, i) => ({ record: parse<T>(text), version: Number(versions[i] ?? 0) }));
}

/** What nearly every operation reads first, fetched in one round trip as a transaction starts. */
interface PrefetchedReads {
  clock: { state: ClockState; version: number };
  jobCount: number;
  deliveryCount: number;
  /**
   * Records read ahead, by kind: the ones named in the transaction's options, and every record
   * of the kinds read whole (oldest first: the ids of such a kind are its map's keys).
   */
  records: { [K in Kind]?: Map<string, StoredText> };
  /** Whether the tenant exists (has its meta key). */
  exists: boolean;
  /** The pending deliveries of the jobs the options named, as FIRST_READ_SCRIPT read them. */
  pendingOfJobs: Map<string, PendingOfJobReply>;
}

/**
 * Lua: the texts and versions of records of one kind, in the order of `ids`; and one job's
 * pending deliveries, from the per-job index, oldest first: their texts and versions, the
 * version of the job's pending set, and whether the index is built (1) or not (0).
 */
const PENDING_OF_JOB_LUA = `
local function textsAndVersions(b, kind, ids)
  if #ids == 0 then return {}, {} end
  return redis.call('HMGET', b .. kind, unpack(ids)), redis.call('HMGET', b .. kind .. ':v', unpack(ids))
end
local function pendingOfJob(b, job)
  local ids = {}
  for j, member in ipairs(redis.call('ZRANGEBYLEX', b .. 'pendingj', '[' .. job .. '|', '(' .. job .. '}')) do
    ids[j] = string.match(member, '([^|]*)$')
  end
  local texts, versions = textsAndVersions(b, 'deliveries', ids)
  return {texts, versions, redis.call('HGET', b .. 'pendingjv', job) or '0', redis.call('HEXISTS', b .. 'meta', 'pjindex')}
end
`;

/** One job's pending deliveries in one call. ARGV: the tenant's base, the job id. */
export const PENDING_OF_JOB_SCRIPT = `${PENDING_OF_JOB_LUA}
return pendingOfJob(ARGV[1], ARGV[2])
`;

/**
 * The kinds a transaction's first read brings whole, every record with its version: each holds
 * a few records at most (webhook endpoints; fault rules, at most 20), and one is asked for by
 * nearly every operation (an operation's gate lists the fault rules; a job event, the endpoints).
 */
const WHOLE_KINDS = ['endpoints', 'faults'] as const satisfies readonly Kind[];
const isWhole = (kind: string) => (WHOLE_KINDS as readonly string[]).includes(kind);

/**
 * A transaction's first read, in one call: what nearly every transaction reads (the clock and
 * its version, the job and delivery counts, every record of the kinds read whole, whether the
 * tenant exists), the records the options named, and the pending deliveries of the jobs they
 * named. One script rather than a pipeline of a dozen commands: each command costs the client
 * as much as a small round trip.
 *
 * ARGV: the tenant's base, the count of named records, kind and id of each, then job ids.
 */
export const FIRST_READ_SCRIPT = `${PENDING_OF_JOB_LUA}
local b = ARGV[1]
local meta = b .. 'meta'
local function hget(key, field) return redis.call('HGET', key, field) or false end
local clock = redis.call('HMGET', meta, 'clock', 'clockv')
local whole = {}
for i, kind in ipairs({${WHOLE_KINDS.map((kind) => `'${kind}'`).join(', ')}}) do
  local ids = redis.call('ZRANGE', b .. kind .. ':o', 0, -1)
  local texts, versions = textsAndVersions(b, kind, ids)
  whole[i] = {ids, texts, versions}
end
local out = {
  {clock[1] or false, clock[2] or false},
  redis.call('ZCARD', b .. 'jobs:o'),
  whole,
  redis.call('ZCARD', b .. 'deliveries:o'),
  redis.call('EXISTS', meta),
}
local named = tonumber(ARGV[2])
local records = {}
for i = 1, named do
  local kind, id = ARGV[1 + 2 * i], ARGV[2 + 2 * i]
  records[i] = {hget(b .. kind, id), hget(b .. kind .. ':v', id)}
end
out[6] = records
local pending = {}
for i = 3 + 2 * named, #ARGV do
  pending[#pending + 1] = pendingOfJob(b, ARGV[i])
end
out[7] = pending
return out
`;

/** PENDING_OF_JOB_LUA's answer: texts, versions, the job's pending-set version, whether the index is built. */
type PendingOfJobReply = [Array<string | null>, Array<string | null>, string, number];

type FirstReadReply = [
  [string | null, string | null],
  number,
  /** Per kind read whole: its ids in order, then their texts and their versions. */
  Array<[string[], Array<string | null>, Array<string | null>]>,
  number,
  number,
  Array<[string | null, string | null]>,
  PendingOfJobReply[],
];

/** A record as Redis holds it: its text (null when absent) and its version. */
interface StoredText {
  text: string | null;
  version: number;
}

/** Answers read in the first round trip, in place of reads of their own. */
interface Prefetched {
  count?(): Promise<number>;
  ids?(): Promise<string[]>;
  /** Records already read (absent ones included), by id. */
  records?(): Promise<Map<string, StoredText> | undefined>;
}

/** Records of one collection as committed in Redis, remembering the version of each one read. */
class RedisRecords<T extends { id: string }> implements CommittedRecords<T> {
  /** Read with get: checked at commit. */
  readonly read = new Map<string, number>();
  /** Seen in a list: checked at commit only when written. */
  readonly seen = new Map<string, number>();

  constructor(
    private readonly call: RedisCall,
    private readonly key: string,
    private readonly prefetched: Prefetched = {},
  ) {}

  async get(id: string): Promise<T | undefined> {
    const ahead = (await this.prefetched.records?.())?.get(id);
    if (ahead) {
      this.read.set(id, ahead.version);
      return parse<T>(ahead.text);
    }
    const [text, version] = await this.call(async (r) => {
      const replies = await r.multi().hget(this.key, id).hget(`${this.key}:v`, id).exec();
      return [replies?.[0]?.[1] as string | null, Number(replies?.[1]?.[1] ?? 0)] as const;
    });
    this.read.set(id, version);
    return parse<T>(text);
  }

  knownToExist(id: string): boolean {
    return this.seen.has(id) || (this.read.get(id) ?? 0) > 0;
  }

  count(): Promise<number> {
    return this.prefetched.count?.() ?? this.call((r) => r.zcard(`${this.key}:o`));
  }

  async fetch(ids: string[]): Promise<T[]> {
    if (ids.length === 0) return [];
    const ahead = await this.prefetched.records?.();
    const versioned = ids.every((id) => ahead?.has(id))
      ? ids.map((id): Versioned<T> => ({ record: parse<T>(ahead!.get(id)!.text), version: ahead!.get(id)!.version }))
      : await this.fetchNow(ids);
    return this.take(versioned);
  }

  /** Records read elsewhere (by a script), taken as `fetch` would take them. */
  accept(texts: Array<string | null>, versions: Array<string | null>): T[] {
    return this.take(versionedOf<T>(texts, versions));
  }

  /** The records that exist, each remembered as seen at its version. */
  private take(versioned: Array<Versioned<T>>): T[] {
    const out: T[] = [];
    for (const { record, version } of versioned) {
      if (!record) continue;
      this.seen.set(record.id, version);
      out.push(record);
    }
    return out;
  }

  private fetchNow(ids: string[]): Promise<Array<Versioned<T>>> {
    return this.call(async (r) => {
      const replies = await r
        .multi()
        .hmget(this.key, ...ids)
        .hmget(`${this.key}:v`, ...ids)
        .exec();
      return versionedOf<T>(replies?.[0]?.[1] as Array<string | null>, replies?.[1]?.[1] as Array<string | null>);
    });
  }

  async *list(order: 'oldest' | 'newest'): AsyncIterable<T> {
    if (this.prefetched.ids) {
      const ids = await this.prefetched.ids();
      yield* await this.fetch(order === 'oldest' ? ids : [...ids].reverse());
      return;
    }
    for (let start = 0; ; start += LIST_BATCH) {
      const stop = start + LIST_BATCH - 1;
      const ids = await this.call((r) =>
        order === 'oldest'
          ? r.zrange(`${this.key}:o`, String(start), String(stop))
          : r.zrange(`${this.key}:o`, String(start), String(stop), 'REV'),
      );
      yield* await this.fetch(ids);
      if (ids.length < LIST_BATCH) return;
    }
  }

  /** [part, id, version] for each record whose change must abort the commit. */
  checks(part: string, written: Iterable<string>): Array<[string, string, number]> {
    const out: Array<[string, string, number]> = [];
    for (const [id, version] of this.read) out.push([`${part}:v`, id, version]);
    for (const id of written) {
      const version = this.seen.get(id);
      if (version !== undefined && !this.read.has(id)) out.push([`${part}:v`, id, version]);
    }
    return out;
  }
}

export interface CommitPayload {
  /** Only check the versions: write nothing. */
  checkOnly?: boolean;
  checks: Array<[string, string, number]>;
  puts: Array<[string, string, string]>;
  dels: Array<[string, string]>;
  clock?: string;
  /** The commit writes a delivery or the clock: what is due may have changed. */
  dueTouch?: boolean;
  /** [delivery id, job id] of each delivery now pending. */
  pendingAdd: Array<[string, string]>;
  pendingDel: string[];
}

type Sources<Q extends Kind = Kind> = { [K in Q]: RedisRecords<Records[K]> };
type Buffers<Q extends Kind = Kind> = { [K in Q]: BufferedRecordSet<Records[K]> };

export class RedisTransaction extends RecordSetsByKind implements Transaction {
  readonly pendingDeliveries: BufferedPendingDeliveries;
  private readonly sources: Sources;
  private readonly sets: Buffers;
  private clockRead: { state: ClockState; version: number } | null = null;
  private prefetch: Promise<PrefetchedReads> | null = null;
  private clockWritten: ClockState | null = null;
  private pendingVersion: number | null = null;
  /** The count of due-changing commits as the pending deliveries were read (undefined: not read). */
  dueVersion: string | null | undefined = undefined;
  /** The version of each job's pending set read through the per-job index. */
  private readonly pendingJobVersions = new Map<string, number>();
  private readonly pendingOfJobRead = new Map<string, Promise<DeliveryRecord[]>>();
  private readonly callbacks: Array<() => void> = [];

  constructor(
    private readonly call: RedisCall,
    /** The API key or the reference the transaction was opened with. */
    private readonly keyOrRef: string,
    readonly tenantKey: string,
    private readonly base: string,
    readonly realNowMs: number,
    private readonly ahead: Prefetch<Records> = {},
    /** Jobs whose pending deliveries the first round trip reads too. */
    private readonly pendingOfJobsAhead: readonly string[] = [],
  ) {
    super();
    const prefetched: { [K in Kind]?: Prefetched } = {
      jobs: { count: async () => (await this.prefetched()).jobCount },
      deliveries: { count: async () => (await this.prefetched()).deliveryCount },
    };
    for (const kind of WHOLE_KINDS) {
      const whole = async () => (await this.prefetched()).records[kind]!;
      prefetched[kind] = { ids: async () => [...(await whole()).keys()], count: async () => (await whole()).size };
    }
    for (const kind of KINDS) {
      const own = (prefetched[kind] ??= {});
      own.records = async () => (await this.prefetched()).records[kind];
    }
    this.sources = this.sourcesOf(KINDS, prefetched);
    this.sets = this.buffersOf(KINDS);
    const deliveries = this.sources.deliveries;
    this.pendingDeliveries = new BufferedPendingDeliveries(
      this.sets.deliveries,
      () => this.committedPending(deliveries),
      (jobId) => this.committedPendingOfJob(deliveries, jobId),
    );
  }

  private sourcesOf<Q extends Kind>(kinds: readonly Q[], prefetched: { [K in Kind]?: Prefetched }): Sources<Q> {
    const sources: Partial<Sources<Q>> = {};
    for (const kind of kinds) sources[kind] = this.sourceOf(kind, prefetched[kind]);
    return sources as Sources<Q>;
  }

  private sourceOf<Q extends Kind>(kind: Q, prefetched: Prefetched | undefined): Sources<Q>[Q] {
    return new RedisRecords<Records[Q]>(this.call, this.base + kind, prefetched);
  }

  private buffersOf<Q extends Kind>(kinds: readonly Q[]): Buffers<Q> {
    const sets: Partial<Buffers<Q>> = {};
    for (const kind of kinds) sets[kind] = this.bufferOf(kind);
    return sets as Buffers<Q>;
  }

  private bufferOf<Q extends Kind>(kind: Q): Buffers<Q>[Q] {
    return new BufferedRecordSet<Records[Q]>(this.sources[kind]);
  }

  get clientId(): string {
    if (isTenantRef(this.keyOrRef)) throw new Error('a transaction opened by reference has no account id');
    return clientIdFor(this.keyOrRef);
  }

  protected setOf<K extends Kind>(kind: K): BufferedRecordSet<Records[K]> {
    return this.sets[kind];
  }

  /** One job's pending deliveries, oldest first, read once per transaction (a chain's head is often asked for twice). */
  private committedPendingOfJob(deliveries: RedisRecords<DeliveryRecord>, jobId: string): Promise<DeliveryRecord[]> {
    let read = this.pendingOfJobRead.get(jobId);
    if (!read) {
      read = this.readPendingOfJob(deliveries, jobId);
      this.pendingOfJobRead.set(jobId, read);
    }
    return read;
  }

  /** One job's pending deliveries, oldest first, from the per-job index (the whole tenant's, until it is built). */
  private async readPendingOfJob(deliveries: RedisRecords<DeliveryRecord>, jobId: string): Promise<DeliveryRecord[]> {
    const [texts, versions, version, indexed] = this.pendingOfJobsAhead.includes(jobId)
      ? (await this.prefetched()).pendingOfJobs.get(jobId)!
      : await this.call((r) => r.lastmilePendingOfJob(`${this.base}meta`, this.base, jobId));
    if (indexed !== 1) return (await this.committedPending(deliveries)).filter((d) => d.job_id === jobId);
    if (!this.pendingJobVersions.has(jobId)) this.pendingJobVersions.set(jobId, Number(version));
    return deliveries.accept(texts, versions);
  }

  private async committedPending(deliveries: RedisRecords<DeliveryRecord>): Promise<DeliveryRecord[]> {
    const [ids, version] = await this.call(async (r) => {
      const replies = await r
        .multi()
        .zrange(`${this.base}pending`, '0', '-1')
        .hmget(`${this.base}meta`, 'pendingv', 'duev')
        .exec();
      const [pendingv, duev] = replies?.[1]?.[1] as [string | null, string | null];
      if (this.dueVersion === undefined) this.dueVersion = duev;
      return [replies?.[0]?.[1] as string[], Number(pendingv ?? 0)] as const;
    });
    this.pendingVersion ??= version;
    return deliveries.fetch(ids);
  }

  /**
   * The clock, the job and delivery counts, the kinds read whole, and the records the options named: one round
   * trip, the first read of any kind.
   */
  private prefetched(): Promise<PrefetchedReads> {
    this.prefetch ??= this.call(async (r) => {
      // Records of a kind read whole are read with it: the map of such a kind holds only what exists.
      const named = Object.entries(this.ahead)
        .filter(([kind]) => !isWhole(kind))
        .flatMap(([kind, ids]) => (ids ?? []).map((id) => [kind as Kind, id] as const));
      const [clock, jobCount, whole, deliveryCount, exists, texts, pending] = await r.lastmileFirstRead(
        `${this.base}meta`,
        this.base,
        String(named.length),
        ...named.flat(),
        ...this.pendingOfJobsAhead,
      );
      const records: PrefetchedReads['records'] = {};
      WHOLE_KINDS.forEach((kind, k) => {
        const [ids, texts, versions] = whole[k];
        records[kind] = new Map(ids.map((id, i) => [id, { text: texts[i], version: Number(versions[i] ?? 0) }]));
      });
      named.forEach(([kind, id], i) => {
        const [text, version] = texts[i];
        (records[kind] ??= new Map()).set(id, { text, version: Number(version ?? 0) });
      });
      return {
        clock: { state: parse<ClockState>(clock[0]) ?? RUNNING_CLOCK, version: Number(clock[1] ?? 0) },
        jobCount,
        deliveryCount,
        records,
        exists: exists === 1,
        pendingOfJobs: new Map(this.pendingOfJobsAhead.map((jobId, i) => [jobId, pending[i]])),
      };
    });
    return this.prefetch;
  }

  /** Whether the tenant exists: answered with the first read. */
  async tenantExists(): Promise<boolean> {
    return (await this.prefetched()).exists;
  }

  async clock(): Promise<ClockState> {
    if (this.clockWritten) return this.clockWritten;
    this.clockRead ??= (await this.prefetched()).clock;
    return this.clockRead.state;
  }

  setClock(state: ClockState): void {
    this.clockWritten = state;
  }

  afterCommit(callback: () => void): void {
    this.callbacks.push(callback);
  }

  committed(): void {
    for (const callback of this.callbacks) callback();
  }

  /** Records read with get (whose versions a commit checks). */
  recordsRead(): number {
    let n = 0;
    for (const kind of KINDS) n += this.sources[kind].read.size;
    return n;
  }

  /** The versions read outside the records: the clock, the tenant's pending set, each job's pending set. */
  private indexChecks(): CommitPayload['checks'] {
    const checks: CommitPayload['checks'] = [];
    if (this.clockRead) checks.push(['meta', 'clockv', this.clockRead.version]);
    if (this.pendingVersion !== null) checks.push(['meta', 'pendingv', this.pendingVersion]);
    for (const [jobId, version] of this.pendingJobVersions) checks.push(['pendingjv', jobId, version]);
    return checks;
  }

  checkOnlyPayload(): CommitPayload {
    const checks = KINDS.flatMap((kind) => this.sources[kind].checks(kind, [])).concat(this.indexChecks());
    return { checkOnly: true, checks, puts: [], dels: [], pendingAdd: [], pendingDel: [] };
  }

  /** Null when the function wrote nothing: then there is nothing to commit or check. */
  commitPayload(): CommitPayload | null {
    const puts: CommitPayload['puts'] = [];
    const dels: CommitPayload['dels'] = [];
    const pendingAdd: Array<[string, string]> = [];
    const pendingDel: string[] = [];
    let checks: CommitPayload['checks'] = [];
    for (const kind of KINDS) {
      const set = this.sets[kind];
      for (const record of set.puts()) puts.push([kind, record.id, JSON.stringify(record)]);
      for (const id of set.deletes()) dels.push([kind, id]);
      checks = checks.concat(this.sources[kind].checks(kind, set.writes.keys()));
    }
    const deliveries = this.sets.deliveries;
    for (const record of deliveries.puts()) {
      if (record.status === 'PENDING') pendingAdd.push([record.id, record.job_id]);
      else pendingDel.push(record.id);
    }
    pendingDel.push(...deliveries.deletes());
    if (puts.length === 0 && dels.length === 0 && !this.clockWritten) return null;
    const payload: CommitPayload = {
      checks: checks.concat(this.indexChecks()),
      puts,
      dels,
      pendingAdd,
      pendingDel,
      dueTouch: pendingAdd.length + pendingDel.length > 0 || this.clockWritten !== null,
    };
    if (this.clockWritten) payload.clock = JSON.stringify(this.clockWritten);
    return payload;
  }
}
