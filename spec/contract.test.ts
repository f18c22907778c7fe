import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FINAL_STATES,
  getOperation,
  JOB_STATES,
  LIFECYCLE,
  operations,
  PATTERN_WORDS,
  schemaAt,
  spec,
  specExamples,
  validateRequestBody,
  validateResponse,
  validateSchema,
  validateWebhookPayload,
  validatorAt,
  webhookEventTypes,
  dottedPath,
  splitKnownFields,
  EXAMPLE_SCHEMAS,
} from './contract';
import { deriveMutations } from './mutations';

const createBody = getOperation('createJob').requestBody!.pointer;
// A body to break on purpose, so it is read loosely.
const fullCreateExample = (): any => structuredClone(spec.components.examples.CreateJobRequest.value);

describe('spec examples', () => {
  const examples = specExamples();
  it('has at least one example per request body and per response with a body', () => {
    for (const op of operations) {
      if (op.requestBody) expect(examples.some((e) => e.pointer === op.requestBody!.pointer)).toBe(true);
      for (const pointer of Object.values(op.responses)) {
        if (pointer)
          expect([op.operationId, examples.some((e) => e.pointer === pointer)]).toEqual([op.operationId, true]);
      }
    }
  });
  it.each(examples.map((e) => [e.where, e] as const))('%s validates against its schema', (_where, example) => {
    const validate = validatorAt(example.pointer);
    expect(validate(example.value) ? [] : validate.errors).toEqual([]);
  });
});

describe('operations index', () => {
  it('covers every client and sandbox operation of the contract', () => {
    const ids = operations.map((o) => `${o.method} ${o.path}`);
    for (const expected of [
      'POST /jobs/availability/v2',
      'GET /jobs/availability/{slot_id}/check',
      'PUT /jobs/{slot_id}/extend-expiration-time',
      'POST /jobs',
      'GET /jobs/{job_id}',
      'POST /jobs/{job_id}/cancel',
      'PUT /jobs/{job_id}/update-delivery-code',
      'PUT /jobs/{job_id}/reschedule',
      'GET /sandbox/clock',
      'POST /sandbox/clock/advance',
      'POST /sandbox/jobs/{job_id}/advance',
      'GET /sandbox/webhook-endpoints',
      'POST /sandbox/webhook-endpoints',
      'DELETE /sandbox/webhook-endpoints/{endpoint_id}',
      'GET /sandbox/webhook-deliveries',
      'POST /sandbox/webhook-deliveries/{delivery_id}/retry',
      'POST /sandbox/reset',
    ])
      expect(ids).toContain(expected);
  });
  it('tags every /sandbox operation as sandbox-only and no production one', () => {
    for (const op of operations) expect([op.path, op.sandbox]).toEqual([op.path, !op.path.startsWith('/jobs')]);
  });
  it('lists one webhook per event type of the EventType enum', () => {
    expect([...webhookEventTypes].sort()).toEqual([...(schemaAt('#/components/schemas/EventType').enum ?? [])].sort());
  });
});

describe('validation errors name the field', () => {
  it('names a missing required field at every depth, and only it', () => {
    const missing = deriveMutations(createBody, fullCreateExample()).filter((m) => m.kind === 'missing-required');
    const params = missing.map((m) => m.param);
    for (const p of [
      'slot_id',
      'client_reference',
      'recipient',
      'recipient.name',
      'recipient.phone_number',
      'recipient.identification.number',
      'payment_info.currency_code',
      'payment_info.prices.order_value',
      'payment_info.payment.method',
      'payment_info.payment.payment_status',
      'payment_info.prices.attributes[0].value',
      'payment_info.payment.metadata.transaction[0].amount_value',
      'round_trip_info.enabled',
    ])
      expect(params).toContain(p);
    for (const m of missing) {
      const result = validateRequestBody('createJob', m.body);
      expect(result.ok ? [] : result.errors.map((e) => e.param)).toEqual([m.param]);
    }
  });
  it('names a wrong type, an outside enum value and a broken format', () => {
    const body = fullCreateExample();
    body.payment_info.prices.attributes[0].value = '450';
    body.payment_info.payment.method = 'BITCOIN';
    body.recipient.email = 'not-an-email';
    body.payment_info.payment.metadata.transaction[0].created_at = 'yesterday';
    body.payment_info.currency_code = 'mxn';
    const result = validateRequestBody('createJob', body);
    expect(result.ok).toBe(false);
    const params = result.ok ? [] : result.errors.map((e) => e.param).sort();
    expect(params).toEqual([
      'payment_info.currency_code',
      'payment_info.payment.metadata.transaction[0].created_at',
      'payment_info.payment.method',
      'payment_info.prices.attributes[0].value',
      'recipient.email',
    ]);
  });
  it('derives at least one mutation of every kind from the full example, each refused at its field', () => {
    const kinds = new Set(deriveMutations(createBody, fullCreateExample()).map((m) => m.kind));
    expect([...kinds].sort()).toEqual(['enum', 'format', 'missing-required', 'pattern', 'wrong-type']);
  });
  it('writes array indexes in brackets but numeric map keys as names', () => {
    expect(dottedPath('/a/0/b', { a: [{ b: 1 }] })).toBe('a[0].b');
    expect(dottedPath('/m/0', { m: { 0: 'x' } })).toBe('m.0');
  });
});

describe('responses and webhooks', () => {
  it('refuses an undocumented status and a body of the wrong shape', () => {
    expect(validateResponse('getJob', 418, {}).ok).toBe(false);
    expect(validateResponse('createJob', 201, { message: 'x', job_id: 3, warnings: [] }).ok).toBe(false);
    expect(validateResponse('deleteWebhookEndpoint', 204, undefined).ok).toBe(true);
  });
  it('validates webhook payloads', () => {
    expect(validateWebhookPayload(spec.components.examples.WebhookEvent.value).ok).toBe(true);
    expect(validateWebhookPayload({ id: 'x', type: 'CREATED' }).ok).toBe(false);
  });
});

describe('generated types', () => {
  it('are what openapi-typescript makes of the spec now (run npm run spec:types after editing it)', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'lastmile-types-')), 'types.gen.ts');
    execFileSync(
      process.execPath,
      [
        join(__dirname, '..', 'node_modules', 'openapi-typescript', 'bin', 'cli.js'),
        join(__dirname, 'openapi.yaml'),
        '-o',
        out,
      ],
      { stdio: 'pipe' },
    );
    expect(readFileSync(join(__dirname, 'types.gen.ts'), 'utf8')).toBe(readFileSync(out, 'utf8'));
  });
});

describe('splitKnownFields', () => {
  const pointer = getOperation('createJob').requestBody!.pointer;

  it('drops undeclared fields at every depth and names them', () => {
    const body = fullCreateExample();
    body.extra = 1;
    body.payment_info.prices.attributes[1].note = 'x';
    body.recipient.identification.issuer = 'y';
    const { known, unknown } = splitKnownFields(pointer, body);
    expect(unknown).toEqual(['recipient.identification.issuer', 'payment_info.prices.attributes[1].note', 'extra']);
    expect(known).toEqual(fullCreateExample());
  });

  it('shares the parts that need no change and copies only the paths to a dropped field', () => {
    const body = fullCreateExample();
    body.recipient.nickname = 'Anita';
    const { known } = splitKnownFields(pointer, body);
    expect(known).not.toBe(body);
    expect(known.recipient).not.toBe(body.recipient);
    expect(known.payment_info).toBe(body.payment_info);
    expect(known.external_data).toBe(body.external_data);
    const clean = fullCreateExample();
    expect(splitKnownFields(pointer, clean).known).toBe(clean);
  });

  it('never turns a __proto__ key into a prototype', () => {
    const body = JSON.parse(
      '{"slot_id":"s","__proto__":{"polluted":true},"recipient":{"name":"a","phone_number":"1","__proto__":{"x":1}}}',
    );
    const { known, unknown } = splitKnownFields(pointer, body);
    expect(unknown).toEqual(['__proto__', 'recipient.__proto__']);
    expect(Object.getPrototypeOf(known)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(known.recipient)).toBe(Object.prototype);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

describe('date-times and emails', () => {
  it('takes RFC 3339 date-times (any offset, any fraction, lower-case t and z) and refuses a space for the T', () => {
    for (const value of [
      '2026-12-01T16:00:00Z',
      '2026-12-01T16:00:00.000000+00:00',
      '2026-12-01t16:00:00z',
      '2026-12-01T10:00:00-06:00',
    ]) {
      expect([value, validateSchema('DateTime', value).ok]).toEqual([value, true]);
    }
    for (const value of ['2026-12-01 16:00:00Z', '2026-12-01T16:00Z', '2026-12-01T16:00:00', '2026-02-30T16:00:00Z']) {
      expect([value, validateSchema('DateTime', value).ok]).toEqual([value, false]);
    }
  });

  it('refuses an email whose domain has no dot', () => {
    const recipient = (email: string) => ({ name: 'Ana', phone_number: '+525512345678', email });
    expect(validateSchema('Recipient', recipient('ana@example.com')).ok).toBe(true);
    for (const email of ['0@com', 'ana@localhost'])
      expect([email, validateSchema('Recipient', recipient(email)).ok]).toEqual([email, false]);
  });
});

describe('named examples', () => {
  it('names the schema of every example, and each example is valid against it', () => {
    expect(Object.keys(EXAMPLE_SCHEMAS).sort()).toEqual(Object.keys(spec.components.examples).sort());
    const invalid = Object.entries(EXAMPLE_SCHEMAS).flatMap(([name, schema]) => {
      const value: unknown = spec.components.examples[name as keyof typeof EXAMPLE_SCHEMAS].value;
      const [schemaName, values] =
        typeof schema === 'string' ? [schema, [value]] : [schema[0], Array.isArray(value) ? value : [undefined]];
      return values.flatMap((v) => {
        const result = validateSchema(schemaName, v);
        return result.ok ? [] : [`${name}: ${JSON.stringify(result.errors)}`];
      });
    });
    expect(invalid).toEqual([]);
  });
  it('refuses a table entry that names the wrong schema', () => {
    expect(validateSchema('Clock', spec.components.examples.Job.value).ok).toBe(false);
  });
});

describe('job states from the spec', () => {
  it("lists every JobState, the lifecycle first, and takes the final ones from the lifecycle's end and the out-of-band states", () => {
    expect(JOB_STATES).toEqual(spec.components.schemas.JobState.enum);
    expect(JOB_STATES.slice(0, LIFECYCLE.length)).toEqual(LIFECYCLE);
    expect(FINAL_STATES).toEqual(['CLIENT_RECEIVED', 'CANCELLED']);
  });
});

describe('patterns in words', () => {
  it('has words for every pattern in the spec, and only for those', () => {
    const patterns = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node !== null && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'pattern' && typeof value === 'string') patterns.add(value);
          else walk(value);
        }
      }
    };
    walk(spec);
    expect([...patterns].sort()).toEqual(Object.keys(PATTERN_WORDS).sort());
  });

  it('a malformed delivery code is refused in words, naming the field and the value', () => {
    const result = validateRequestBody('updateDeliveryCode', { delivery_code: '12a' });
    expect(result).toEqual({
      ok: false,
      errors: [{ location: 'body', param: 'delivery_code', msg: 'must be exactly 4 digits', value: '12a' }],
    });
  });
});
