/**
 * Properties over generated input: arbitrary JSON and arbitrary mutations of valid bodies,
 * to every operation, never get a 5xx and always get the contract's answer (the harness
 * checks each one against the spec), and the tenant afterwards holds exactly the jobs and
 * used slots that the accepted requests made.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { operationObject, operations, resolveSchema, type Operation } from '../../spec/contract';
import { createJobRequest, startTestServer, type TestApi } from '../../test/support/harness';

let api: TestApi;
let close: () => Promise<unknown>;
let generated = 0;

beforeAll(async () => {
  ({ api, close } = await startTestServer());
});
afterAll(async () => {
  await close();
  if (process.env.RELIABILITY_STATS) process.stdout.write(`property: ${generated} generated requests\n`);
});

// Fault rules make accepted requests fail on purpose: this property is about what accepted requests made.
const bodyOps = operations.filter((o) => o.requestBody && o.operationId !== 'createFault');

function exampleBody(op: Operation): any {
  const requestBody = resolveSchema<any>(operationObject(op).requestBody);
  return structuredClone(resolveSchema(Object.values<any>(requestBody.content['application/json'].examples)[0]).value);
}

/** Paths of every node in a value (objects and arrays included). */
function nodePaths(value: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [path];
  return [
    path,
    ...Object.entries(value).flatMap(([k, v]) => nodePaths(v, [...path, Array.isArray(value) ? Number(k) : k])),
  ];
}

type Mutation =
  | { kind: 'set'; at: number; value: unknown }
  | { kind: 'delete'; at: number }
  | { kind: 'add'; at: number; key: string; value: unknown };

/** Applies mutations to a copy; `at` picks a node among the current ones. */
function mutate(body: unknown, mutations: Mutation[]): unknown {
  let root: any = structuredClone(body);
  for (const m of mutations) {
    const paths = nodePaths(root);
    const path = paths[m.at % paths.length];
    if (path.length === 0) {
      if (m.kind === 'set') root = m.value;
      else if (m.kind === 'add' && root !== null && typeof root === 'object' && !Array.isArray(root))
        root[m.key] = m.value;
      continue;
    }
    let parent = root;
    for (const p of path.slice(0, -1)) parent = parent[p];
    const last = path[path.length - 1];
    if (m.kind === 'set') parent[last] = m.value;
    else if (m.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (parent[last] !== null && typeof parent[last] === 'object' && !Array.isArray(parent[last]))
      parent[last][m.key] = m.value;
  }
  return root;
}

const jsonValue = fc.jsonValue({ maxDepth: 4 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: jsonValue }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('add' as const),
    at: fc.nat(),
    key: fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'prototype')),
    value: jsonValue,
  }),
);

it("arbitrary JSON to every operation: never a 5xx, always the contract's answer", async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...bodyOps), jsonValue, async (op, value) => {
      generated += 1;
      const res = await api.call(op.method, op.path.replace(/\{\w+\}/g, 'no-such-id'), {
        body: value === undefined ? null : value,
      });
      expect(res.status).toBeLessThan(500);
      if (res.status >= 400) expect(res.body.code).toEqual(expect.any(String));
    }),
    { numRuns: 150 },
  );
});

it('mutated valid bodies, mixed with valid creates and cancels: the tenant holds exactly what the accepted requests made', async () => {
  const step = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant('create' as const), mutations: fc.array(mutation, { maxLength: 3 }) }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('other' as const),
        op: fc.constantFrom(...bodyOps),
        mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
        onKnownJob: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  );
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
      const tenant = api.as(`prop-${randomUUID()}`);
      const slots: string[] = (await tenant.slots()).map((s) => s.id);
      const model = new Map<string, { slot: string; state: string }>();
      const usedSlots = new Set<string>();
      for (const s of steps) {
        generated += 1;
        if (s.kind === 'create') {
          const slot = slots[model.size % slots.length];
          const body = mutate({ ...createJobRequest(), slot_id: slot }, s.mutations);
          const res = await tenant.post('/jobs', body);
          expect(res.status).toBeLessThan(500);
          if (res.status === 201) {
            const sent = body as { slot_id: string };
            expect(usedSlots.has(sent.slot_id)).toBe(false);
            usedSlots.add(sent.slot_id);
            model.set(res.body.job_id, { slot: sent.slot_id, state: 'CREATED' });
          }
        } else if (s.kind === 'cancel') {
          const ids = [...model.keys()];
          if (!ids.length) continue;
          const id = ids[s.pick % ids.length];
          const res = await tenant.post(`/jobs/${id}/cancel`, { reason: 'property' });
          expect(res.status).toBe(model.get(id)!.state === 'CANCELLED' ? 409 : 200);
          model.get(id)!.state = 'CANCELLED';
        } else {
          // Other operations get broken bodies only: they must be refused and change nothing.
          const ids = [...model.keys()];
          const id = s.onKnownJob && ids.length ? ids[0] : 'no-such-id';
          const body = mutate(exampleBody(s.op), s.mutations);
          if (JSON.stringify(body) === JSON.stringify(exampleBody(s.op))) continue;
          const res = await tenant.call(s.op.method, s.op.path.replace(/\{\w+\}/g, id), {
            body: body === undefined ? null : body,
          });
          expect(res.status).toBeLessThan(500);
          if (res.status < 300) {
            // A mutation that kept the body valid: follow what it did to the model.
            if (s.op.operationId === 'createJob') continue;
            if (s.op.operationId === 'cancelJob' && model.has(id)) model.get(id)!.state = 'CANCELLED';
            if (res.body?.state && model.has(id)) model.get(id)!.state = res.body.state;
            if (s.op.operationId === 'rescheduleJob') usedSlots.add((body as { slot_id: string }).slot_id);
          }
        }
      }
      const jobs = (await tenant.get('/sandbox/jobs?limit=1000')).body as Array<{
        id: string;
        state: string;
        slot: { id: string };
      }>;
      expect(new Map(jobs.map((j) => [j.id, j.state]))).toEqual(new Map([...model].map(([id, j]) => [id, j.state])));
      for (const slot of slots) {
        const check = (await tenant.get(`/jobs/availability/${slot}/check`)).body;
        expect([slot, check.status === 'USED']).toEqual([slot, usedSlots.has(slot)]);
      }
    }),
    { numRuns: 40 },
  );
});
