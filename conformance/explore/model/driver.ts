/** The driver and the delivery code: advancing a job, and the code it is delivered against. */
import type { Schemas } from '../../../spec/contract';
import { differs, documented, emit, error, sameJob, type Answer } from './answers';
import {
  codeValue,
  FINAL,
  isDeliveryCode,
  LIFECYCLE,
  stepIndex,
  type JobModel,
  type JobState,
  type TenantModel,
} from './state';

const CODE_FROZEN_FROM = stepIndex('DELIVERING_STARTED');

export const driverRules = {
  updateDeliveryCode(job: JobModel | undefined, code: string): Answer[] {
    if (!isDeliveryCode(code)) return [error(422, 'VALIDATION_FAILED')];
    if (!job) return [error(404, 'JOB_NOT_FOUND')];
    if (!job.code.enabled) return [error(409, 'DELIVERY_CODE_NOT_ENABLED')];
    const unlocking = job.state === 'DELIVERING_STARTED' && job.attemptsRemaining === 0;
    if (job.state === 'CANCELLED' || (stepIndex(job.state) >= CODE_FROZEN_FROM && !unlocking))
      return [error(409, 'DELIVERY_CODE_FROZEN')];
    const after: JobModel = { ...job, code: { enabled: true, value: code }, attemptsRemaining: job.maxAttempts };
    return [{ status: 200, check: sameJob(after, 'updateDeliveryCode'), apply: () => Object.assign(job, after) }];
  },

  /** The driver. `code`: what the driver types, if anything. */
  advanceJob(
    t: TenantModel,
    job: JobModel | undefined,
    to: Schemas['LifecycleStep'] | undefined,
    code: string | undefined,
  ): Answer[] {
    // A delivery_code that is not 4 digits is invalid input: refused before the job is
    // looked at (the request is judged first), and it costs no attempt.
    if (code !== undefined && !isDeliveryCode(code))
      return [
        error(422, 'VALIDATION_FAILED', undefined, 'a delivery_code that is not 4 digits is refused as invalid input'),
      ];
    if (!job) return [error(404, 'JOB_NOT_FOUND')];
    if (FINAL.has(job.state)) return [error(409, 'ILLEGAL_TRANSITION')];
    const current = stepIndex(job.state);
    const target = to === undefined ? current + 1 : stepIndex(to);
    if (target <= current) return [error(409, 'ILLEGAL_TRANSITION')];
    const steps: readonly JobState[] = LIFECYCLE.slice(current + 1, target + 1);
    const moved = (): Answer => ({
      status: 200,
      check: sameJob({ ...job, state: steps[steps.length - 1] }, 'advanceJob'),
      apply: () => {
        job.state = steps[steps.length - 1];
        for (const step of steps) emit(t, job, step, [step, job.state]);
      },
    });
    if (!steps.includes('CLIENT_RECEIVED') || !job.code.enabled) return [moved()];
    if (job.attemptsRemaining === 0) return [error(423, 'DELIVERY_CODE_LOCKED')];
    if (code === undefined) return [error(422, 'VALIDATION_FAILED')];
    if (code === codeValue(job.code)) return [moved()];
    const left = job.attemptsRemaining === undefined ? undefined : job.attemptsRemaining - 1;
    const wrong: Answer = {
      status: 422,
      code: 'INVALID_DELIVERY_CODE',
      check: (r) => {
        const remaining = documented(r, 'advanceJob', 422).attempts_remaining;
        return left === undefined
          ? Number.isInteger(remaining)
            ? undefined
            : 'attempts_remaining missing'
          : differs('attempts_remaining', left, remaining);
      },
      apply: (r) => {
        job.attemptsRemaining = documented(r, 'advanceJob', 422).attempts_remaining;
      },
    };
    return [wrong];
  },
};
