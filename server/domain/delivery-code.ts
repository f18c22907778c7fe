/** The delivery code: drawn at creation, needed for the last step, locked after too many wrong tries. */
import { randomInt, timingSafeEqual } from 'node:crypto';
import type { Schemas } from '../../spec/contract';
import { iso } from './clock';
import { DomainError, validationFailed } from './errors';
import { LIFECYCLE, type DeliveryCodeVerdict, type OperationContext } from './operation';
import type { Outcome } from './outcome';
import type { Job } from './store';

const CODE_FROZEN_FROM = LIFECYCLE.indexOf('DELIVERING_STARTED');

export function drawDeliveryCode(): string {
  return String(randomInt(0, 10_000)).padStart(4, '0');
}

export function updateDeliveryCode(
  op: OperationContext,
  job: Job,
  request: Schemas['UpdateDeliveryCodeRequest'],
): Outcome<Job> {
  if (!job.add_delivery_code) {
    throw new DomainError('DELIVERY_CODE_NOT_ENABLED', 'The job was created without add_delivery_code: true');
  }
  // A lock at the door would otherwise be final: the one update allowed from
  // DELIVERING_STARTED on is the one that lifts a lock.
  const unlocking = job.state === 'DELIVERING_STARTED' && job.delivery_code_attempts_remaining === 0;
  if (job.state === 'CANCELLED' || (LIFECYCLE.indexOf(job.state) >= CODE_FROZEN_FROM && !unlocking)) {
    throw new DomainError(
      'DELIVERY_CODE_FROZEN',
      `Job is ${job.state}; the code can only change before DELIVERING_STARTED`,
    );
  }
  const next: Job = {
    ...job,
    delivery_code: request.delivery_code,
    delivery_code_attempts_remaining: op.config.deliveryCodeAttempts,
    updated_at: iso(op.now),
  };
  // Not an event of the contract's: the new code reaches webhooks with the job's next event.
  return { answer: next, writes: [{ kind: 'jobs', put: next }], events: [] };
}

/** The contract's delivery-code check (the default policy). A wrong code costs an attempt, which is kept. */
export function checkDeliveryCode(job: Job, given: string | undefined): DeliveryCodeVerdict {
  if ((job.delivery_code_attempts_remaining ?? 0) <= 0) {
    throw new DomainError('DELIVERY_CODE_LOCKED', 'Too many wrong delivery codes; update the code to unlock');
  }
  if (given === undefined) {
    throw validationFailed([
      { location: 'body', param: 'delivery_code', msg: 'is required for the step to CLIENT_RECEIVED' },
    ]);
  }
  if (sameCode(given, job.delivery_code ?? '')) return { job };
  const remaining = (job.delivery_code_attempts_remaining ?? 1) - 1;
  return {
    job: { ...job, delivery_code_attempts_remaining: remaining },
    refusal: new DomainError('INVALID_DELIVERY_CODE', 'Wrong delivery code', { attempts_remaining: remaining }),
  };
}

function sameCode(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
