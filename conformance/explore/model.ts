/**
 * The explorer's model of the contract: what a tenant holds, and for each operation, in
 * which state it applies and what it must answer. Pure: no I/O, no clock of its own (the
 * caller says what time the tenant's clock shows, and how sure it is). Where the contract
 * allows several answers the model lists them all, and each answer says what it changes.
 *
 * One file per area in model/: state.ts (the tenant's records, the clock reading),
 * answers.ts (what a rule returns and how it checks a job), slots.ts, jobs.ts, driver.ts
 * (advancing a job, the delivery code) and webhooks.ts.
 */
export {
  codeValue,
  LIFECYCLE,
  newTenant,
  NO_CODE,
  unread,
  type CodeModel,
  type EndpointModel,
  type JobModel,
  type JobState,
  type Model,
  type Now,
  type ReceiverScript,
  type SlotModel,
  type TenantModel,
} from './model/state';
export type { Answer } from './model/answers';
export { slotRules } from './model/slots';
export { jobRules } from './model/jobs';
export { webhookRules } from './model/webhooks';
