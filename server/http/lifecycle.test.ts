import { startTestServer, type TestApi } from '../../test/support/harness';

let api: TestApi;
let close: () => Promise<unknown>;

beforeAll(async () => {
  ({ api, close } = await startTestServer({ deliveryCodeAttempts: 3 }));
});
afterAll(() => close());

const STEPS = [
  'CREATED',
  'PICKING_STARTED',
  'PICKING_FINISHED',
  'CHECKING_OUT_STARTED',
  'CHECKED_OUT',
  'GOING_TO_DESTINATION_STARTED',
  'ARRIVED_TO_DESTINATION',
  'DELIVERING_STARTED',
  'CLIENT_RECEIVED',
];

describe('lifecycle driver', () => {
  it('moves one step at a time, recording each in the history', async () => {
    const { id } = await api.createJob({ add_delivery_code: false });
    for (const step of STEPS.slice(1)) {
      const res = await api.post(`/sandbox/jobs/${id}/advance`);
      expect([res.status, res.body.state]).toEqual([200, step]);
    }
    const job = (await api.get(`/jobs/${id}`)).body;
    expect(job.history.map((h: any) => h.type)).toEqual(STEPS);
    expect((await api.post(`/sandbox/jobs/${id}/advance`)).body.code).toBe('ILLEGAL_TRANSITION');
  });

  it('moves through every step up to `to`, and refuses to go back or stay', async () => {
    const { id } = await api.createJob({ add_delivery_code: false });
    const res = await api.post(`/sandbox/jobs/${id}/advance`, { to: 'CHECKED_OUT' });
    expect(res.body.history.map((h: any) => h.type)).toEqual(STEPS.slice(0, 5));
    for (const to of ['CHECKED_OUT', 'PICKING_STARTED']) {
      const back = await api.post(`/sandbox/jobs/${id}/advance`, { to });
      expect([back.status, back.body.code]).toEqual([409, 'ILLEGAL_TRANSITION']);
    }
    const bogus = await api.post(`/sandbox/jobs/${id}/advance`, { to: 'CANCELLED' });
    expect([bogus.status, bogus.body.errors[0].param]).toEqual([422, 'to']);
    expect((await api.post('/sandbox/jobs/nope/advance')).status).toBe(404);
  });

  it('refuses to move a cancelled job', async () => {
    const { id } = await api.createJob();
    await api.post(`/jobs/${id}/cancel`);
    expect((await api.post(`/sandbox/jobs/${id}/advance`)).body.code).toBe('ILLEGAL_TRANSITION');
  });

  it('lets the recipient change comment and contactless instructions until the job is final', async () => {
    const { id } = await api.createJob({ add_delivery_code: false });
    const res = await api.put(`/sandbox/jobs/${id}/recipient-instructions`, {
      job_comment: 'Call on arrival',
      contact_less: { comment: 'LeaveInReception' },
    });
    expect(res.body).toMatchObject({ job_comment: 'Call on arrival', contact_less: { comment: 'LeaveInReception' } });
    expect(res.body.history.at(-1).type).toBe('JOB_COMMENT_UPDATED');
    expect((await api.put(`/sandbox/jobs/${id}/recipient-instructions`, {})).status).toBe(422);
    await api.post(`/sandbox/jobs/${id}/advance`, { to: 'CLIENT_RECEIVED' });
    expect((await api.put(`/sandbox/jobs/${id}/recipient-instructions`, { job_comment: 'late' })).body.code).toBe(
      'ILLEGAL_TRANSITION',
    );
  });
});

describe('delivery code', () => {
  it('is 4 digits when asked for and absent otherwise', async () => {
    const codes = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { id } = await api.createJob({ add_delivery_code: true });
      const job = (await api.get(`/jobs/${id}`)).body;
      expect(job.delivery_code).toMatch(/^\d{4}$/);
      expect(job.delivery_code_attempts_remaining).toBe(3);
      codes.add(job.delivery_code);
    }
    expect(codes.size).toBeGreaterThan(1);
    const { id } = await api.createJob({ add_delivery_code: false });
    const plain = (await api.get(`/jobs/${id}`)).body;
    expect(plain).not.toHaveProperty('delivery_code');
    expect(plain.add_delivery_code).toBe(false);
  });

  it('updates only to exactly 4 digits', async () => {
    const { id } = await api.createJob({ add_delivery_code: true });
    for (const bad of ['123', '12345', '12a4', '', 1234]) {
      const res = await api.put(`/jobs/${id}/update-delivery-code`, { delivery_code: bad });
      expect([res.status, res.body.code, res.body.errors[0].param]).toEqual([
        422,
        'VALIDATION_FAILED',
        'delivery_code',
      ]);
    }
    const ok = await api.put(`/jobs/${id}/update-delivery-code`, { delivery_code: '0042' });
    expect(ok.body.delivery_code).toBe('0042');
  });

  it('refuses an update on a job created without a code', async () => {
    const { id } = await api.createJob({ add_delivery_code: false });
    const res = await api.put(`/jobs/${id}/update-delivery-code`, { delivery_code: '1234' });
    expect([res.status, res.body.code]).toEqual([409, 'DELIVERY_CODE_NOT_ENABLED']);
  });

  it('refuses an update once DELIVERING_STARTED has happened', async () => {
    const { id } = await api.createJob({ add_delivery_code: true });
    await api.post(`/sandbox/jobs/${id}/advance`, { to: 'ARRIVED_TO_DESTINATION' });
    expect((await api.put(`/jobs/${id}/update-delivery-code`, { delivery_code: '1111' })).status).toBe(200);
    await api.post(`/sandbox/jobs/${id}/advance`);
    const res = await api.put(`/jobs/${id}/update-delivery-code`, { delivery_code: '2222' });
    expect([res.status, res.body.code]).toEqual([409, 'DELIVERY_CODE_FROZEN']);
  });

  it('needs the right code for CLIENT_RECEIVED, counts wrong ones down, locks, and unlocks on update', async () => {
    const { id } = await api.createJob({ add_delivery_code: true });
    await api.put(`/jobs/${id}/update-delivery-code`, { delivery_code: '4321' });
    await api.post(`/sandbox/jobs/${id}/advance`, { to: 'ARRIVED_TO_DESTINATION' });

    const missing = await api.post(`/sandbox/jobs/${id}/advance`, { to: 'CLIENT_RECEIVED' });
    expect([missing.status, missing.body.code, missing.body.errors[0].param]).toEqual([
      422,
      'VALIDATION_FAILED',
      'delivery_code',
    ]);

    const remaining = [];
    for (let i = 0; i < 3; i++) {
      const wrong = await api.post(`/sandbox/jobs/${id}/advance`, { to: 'CLIENT_RECEIVED', delivery_code: '0000' });
      expect([wrong.status, wrong.body.code]).toEqual([422, 'INVALID_DELIVERY_CODE']);
      remaining.push(wrong.body.attempts_remaining);
    }
    expect(remaining).toEqual([2, 1, 0]);
    // All or nothing: the wrong codes moved nothing.
    expect((await api.get(`/jobs/${id}`)).body.state).toBe('ARRIVED_TO_DESTINATION');

    const locked = await api.post(`/sandbox/jobs/${id}/advance`, { to: 'CLIENT_RECEIVED', delivery_code: '4321' });
    expect([locked.status, locked.body.code]).toEqual([423, 'DELIVERY_CODE_LOCKED']);

    await api.put(`/jobs/${id}/update-delivery-code`, { delivery_code: '9876' });
    expect((await api.get(`/jobs/${id}`)).body.delivery_code_attempts_remaining).toBe(3);
    await api.post(`/sandbox/jobs/${id}/advance`);
    const done = await api.post(`/sandbox/jobs/${id}/advance`, { delivery_code: '9876' });
    expect([done.status, done.body.state]).toEqual([200, 'CLIENT_RECEIVED']);
  });

  it('refuses a code that is not 4 digits with 422 VALIDATION_FAILED, at no cost, however often', async () => {
    const { id } = await api.createJob({ add_delivery_code: true });
    await api.post(`/sandbox/jobs/${id}/advance`, { to: 'DELIVERING_STARTED' });
    for (const code of ['', '12a', '123', '12345', ' 1234', '１２３４', '', '12a']) {
      const res = await api.post(`/sandbox/jobs/${id}/advance`, { delivery_code: code });
      expect([res.status, res.body.code, res.body.errors?.[0]?.param]).toEqual([
        422,
        'VALIDATION_FAILED',
        'delivery_code',
      ]);
    }
    const job = (await api.get(`/jobs/${id}`)).body;
    expect([job.state, job.delivery_code_attempts_remaining]).toEqual(['DELIVERING_STARTED', 3]);
    expect((await api.post(`/sandbox/jobs/${id}/advance`, { delivery_code: job.delivery_code })).body.state).toBe(
      'CLIENT_RECEIVED',
    );
  });

  it('ignores a code on moves that do not reach CLIENT_RECEIVED and on jobs without one', async () => {
    const { id } = await api.createJob({ add_delivery_code: true });
    expect((await api.post(`/sandbox/jobs/${id}/advance`, { delivery_code: '0000' })).body.state).toBe(
      'PICKING_STARTED',
    );
    const plain = await api.createJob({ add_delivery_code: false });
    expect((await api.post(`/sandbox/jobs/${plain.id}/advance`, { to: 'CLIENT_RECEIVED' })).body.state).toBe(
      'CLIENT_RECEIVED',
    );
  });
});

describe('delivery code lock at the door', () => {
  it('allows the update that lifts a lock at DELIVERING_STARTED, and no other', async () => {
    const { id } = await api.createJob({ add_delivery_code: true });
    await api.post(`/sandbox/jobs/${id}/advance`, { to: 'DELIVERING_STARTED' });
    expect((await api.put(`/jobs/${id}/update-delivery-code`, { delivery_code: '1212' })).body.code).toBe(
      'DELIVERY_CODE_FROZEN',
    );
    const wrong = (await api.get(`/jobs/${id}`)).body.delivery_code === '0000' ? '1111' : '0000';
    for (let i = 0; i < 3; i++) await api.post(`/sandbox/jobs/${id}/advance`, { delivery_code: wrong });
    expect((await api.post(`/sandbox/jobs/${id}/advance`, { delivery_code: wrong })).status).toBe(423);
    const unlocked = await api.put(`/jobs/${id}/update-delivery-code`, { delivery_code: '3434' });
    expect([unlocked.status, unlocked.body.delivery_code_attempts_remaining]).toEqual([200, 3]);
    expect((await api.post(`/sandbox/jobs/${id}/advance`, { delivery_code: '3434' })).body.state).toBe(
      'CLIENT_RECEIVED',
    );
  });
});
