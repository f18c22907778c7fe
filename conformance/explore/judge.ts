/**
 * Judging one answer: the answer received, against the answers the model allows; the one
 * that fits is applied to the model, else the step fails with a Mismatch.
 */
import type { OperationId } from '../../spec/contract';
import { errorCode, type RawResponse } from '../../client/api';
import { jobRules, type Answer, type TenantModel } from './model';
import { Mismatch, type Session } from './session';

/**
 * The answer received, against the answers the model allows (computed before the call, as
 * the arguments are evaluated in order); applies the one that fits, else a Mismatch.
 */
export async function judged<R extends RawResponse>(
  answers: Answer[],
  operationId: OperationId,
  received: Promise<R>,
): Promise<R> {
  const response = await received;
  const got = { status: response.status, body: response.json, headers: response.headers };
  const code = errorCode(got.body);
  const candidates = answers.filter((a) => a.status === got.status && (a.code === undefined || a.code === code));
  const problems = candidates.map((a) => a.check?.(got));
  const chosen = candidates.find((_a, i) => problems[i] === undefined);
  if (!chosen) {
    const expected = answers.map((a) => `${a.status}${a.code ? ` ${a.code}` : ''}${a.note ? ` (${a.note})` : ''}`);
    const why = problems.find((p) => p !== undefined);
    throw new Mismatch(
      why
        ? `${operationId} answered ${got.status} but ${why}`
        : `${operationId} answered ${got.status}${code ? ` ${code}` : ''}`,
      why ? { status: got.status, but: why } : expected.length === 1 ? expected[0] : { oneOf: expected },
      { status: got.status, body: got.body },
      response.exchange,
    );
  }
  chosen.apply?.(got);
  return response;
}

/** A new job is read back at once: the model learns the delivery code the implementation drew. */
export async function readBack(session: Session, tenant: number, t: TenantModel, jobId: string): Promise<void> {
  const target = t.jobs.find((j) => j.id === jobId);
  if (target)
    await judged(
      jobRules.getJob(t, target),
      'getJob',
      session.call(tenant, 'getJob', { pathParams: { job_id: jobId } }),
    );
}
