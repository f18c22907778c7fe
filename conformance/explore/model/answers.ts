/**
 * What a rule returns: the answers the contract allows, each with what else it must show and
 * what it changes in the model, and the helpers rules build them with.
 */
import type { Schemas } from '../../../spec/contract';
type ErrorCode = Schemas['ErrorCode'];
import { deliver } from './receivers';
import { documented, type Response } from './response';

export { documented, type Response };
import {
  codeValue,
  past,
  surelyBefore,
  type JobState,
  type JobModel,
  type Now,
  type SlotModel,
  type TenantModel,
} from './state';

/** The operations whose success answers with the job. */
type JobAnswering =
  | 'getJob'
  | 'cancelJob'
  | 'rescheduleJob'
  | 'updateDeliveryCode'
  | 'updatePaymentInfo'
  | 'replaceExternalData'
  | 'updateRecipientInstructions'
  | 'advanceJob';
export interface Answer {
  status: number;
  code?: ErrorCode;
  /** What else the answer must show; a description of the difference, or undefined. */
  check?(response: Response): string | undefined;
  /** What the answer changes in the model. */
  apply?(response: Response): void;
  /** Why the contract allows this answer, when it is one of several. */
  note?: string;
}

export const error = (status: number, code: ErrorCode, apply?: Answer['apply'], note?: string): Answer => ({
  status,
  code,
  apply,
  note,
});
export const differs = (what: string, expected: unknown, got: unknown) =>
  JSON.stringify(expected) === JSON.stringify(got)
    ? undefined
    : `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`;
export const firstOf = (...found: Array<string | undefined>) => found.find((f) => f !== undefined);

export function emit(tenant: TenantModel, job: JobModel, type: string, states: JobState[] = [job.state]): void {
  for (const endpoint of tenant.endpoints) {
    if (!endpoint.live) continue;
    const event = { jobId: job.id, type, states, code: job.code };
    if (endpoint.script) deliver(tenant, endpoint, event);
    else endpoint.expected.push(event);
  }
}

/** The job as the contract says GET shows it, in the fields the model knows. */
export function jobDifference(job: JobModel, body: Schemas['Job']): string | undefined {
  if (!body || typeof body !== 'object') return 'the body is not a job';
  return firstOf(
    differs('id', job.id, body.id),
    differs('state', job.state, body.state),
    differs('slot.id', job.slotId, body.slot?.id),
    differs('delivery_code', codeValue(job.code), body.delivery_code),
    // Optional and not promised on every answer: judged only where it is given.
    job.attemptsRemaining === undefined || body.delivery_code_attempts_remaining === undefined
      ? undefined
      : differs('delivery_code_attempts_remaining', job.attemptsRemaining, body.delivery_code_attempts_remaining),
    job.cancellationReason === undefined
      ? undefined
      : differs('cancellation_reason', job.cancellationReason, body.cancellation_reason),
    job.externalData === undefined ? undefined : differs('external_data', job.externalData, body.external_data),
    differs('payment_info.prices', job.prices, body.payment_info?.prices),
  );
}
export const sameJob =
  (job: JobModel, operationId: JobAnswering): Answer['check'] =>
  (r) =>
    jobDifference(job, documented(r, operationId, 200));

/** Near the expiry the clock's slack allows either answer; away from it only one. */
export function expiryFork(slot: SlotModel, now: Now, held: Answer, expired: Answer): Answer[] {
  if (past(now, slot.expiresAt)) return [expired];
  if (surelyBefore(now, slot.expiresAt)) return [held];
  return [held, expired];
}
