/** The sandbox driver: moves a job along its lifecycle as the driver would, one step or several. */
import type { Schemas } from '../../spec/contract';
import { DomainError } from './errors';
import { findJob, refuseIfFinal } from './jobs';
import { LIFECYCLE, Refusal, recordEvent, type OperationContext } from './operation';
import type { Job } from './store';

/** One step, or every step up to `to`, all or nothing. */
export async function advanceJob(
  op: OperationContext,
  jobId: string,
  request: Schemas['AdvanceJobRequest'] = {},
): Promise<Job | Refusal> {
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
    if (verdict.refusal) {
      op.tx.jobs.put(verdict.job);
      return new Refusal(verdict.refusal);
    }
    job = verdict.job;
  }
  for (const step of steps) job = recordEvent(op, { ...job, state: step }, step);
  op.tx.jobs.put(job);
  return job;
}
