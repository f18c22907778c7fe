/** The sandbox driver: moves a job along its lifecycle as the driver would, one step or several. */
import type { Schemas } from '../../spec/contract';
import { DomainError } from './errors';
import { findJob, refuseIfFinal } from './jobs';
import { LIFECYCLE, type JobEvent, type OperationContext } from './operation';
import { recordEvent, type Outcome, type Refused } from './outcome';
import type { Job } from './store';

/** One step, or every step up to `to`, all or nothing. */
export async function advanceJob(
  op: OperationContext,
  jobId: string,
  request: Schemas['AdvanceJobRequest'] = {},
): Promise<Outcome<Job> | Refused> {
  let job = await findJob(op, jobId);
  refuseIfFinal(job, 'move');
  const current = LIFECYCLE.indexOf(job.state);
  const target = request.to === undefined ? current + 1 : LIFECYCLE.indexOf(request.to);
  if (target <= current) {
    throw new DomainError('ILLEGAL_TRANSITION', `Job is ${job.state}; it cannot move to ${request.to}`);
  }
  const steps = LIFECYCLE.slice(current + 1, target + 1);
  if (steps.includes('CLIENT_RECEIVED') && job.add_delivery_code) {
    const verdict = op.policies.checkDeliveryCode(job, request.delivery_code);
    if (verdict.refusal) return { refusal: verdict.refusal, writes: [{ kind: 'jobs', put: verdict.job }] };
    job = verdict.job;
  }
  const events: JobEvent[] = [];
  for (const step of steps) {
    const happened = recordEvent(op, { ...job, state: step }, step);
    job = happened.job;
    events.push(happened.event);
  }
  return { answer: job, writes: [{ kind: 'jobs', put: job }], events };
}
