/** What the console knows of the contract: its types come from the spec, and so does the lifecycle. */
import type { components } from '../spec/types.gen';

type Schemas = components['schemas'];
export type Job = Schemas['Job'];
export type JobState = Schemas['JobState'];
export type Clock = Schemas['Clock'];
export type WebhookEndpoint = Schemas['WebhookEndpoint'];
export type WebhookEndpointWithSecret = Schemas['WebhookEndpointWithSecret'];
export type WebhookDelivery = Schemas['WebhookDelivery'];
export type ErrorBody = Schemas['Error'];
export type AdvanceJobRequest = Schemas['AdvanceJobRequest'];
export type RecipientInstructionsRequest = Schemas['RecipientInstructionsRequest'];
export type ContactLess = Schemas['ContactLess'];

/** Written into the script by the server when it bundles it, from the spec (spec/contract/operations.ts). */
declare const LIFECYCLE_FROM_SPEC: readonly JobState[];
declare const JOB_STATES_FROM_SPEC: readonly JobState[];
declare const FINAL_STATES_FROM_SPEC: readonly JobState[];

export const LIFECYCLE: readonly JobState[] = LIFECYCLE_FROM_SPEC;
export const STATES: readonly JobState[] = JOB_STATES_FROM_SPEC;
export const FINAL: ReadonlySet<JobState> = new Set<JobState>(FINAL_STATES_FROM_SPEC);

export const isJobState = (value: string | null): value is JobState => STATES.some((s) => s === value);

export const RECIPIENT_LABELS: Partial<Record<JobState, string>> = {
  CREATED: 'Order received',
  PICKING_STARTED: 'Picking your items',
  PICKING_FINISHED: 'Items picked',
  CHECKING_OUT_STARTED: 'Checking out',
  CHECKED_OUT: 'Ready to leave the store',
  GOING_TO_DESTINATION_STARTED: 'On the way',
  ARRIVED_TO_DESTINATION: 'Arrived at your address',
  DELIVERING_STARTED: 'Handing over your order',
  CLIENT_RECEIVED: 'Delivered',
};

// Checked before sending: a malformed delivery code must never cost one of its attempts, and an
// advance is refused in the unit the user picked. Everything else the API judges, and the page
// says its reasons (api.ts).
declare const DELIVERY_CODE_PATTERN_FROM_SPEC: string;
declare const MAX_CLOCK_SECONDS_FROM_SPEC: number;
export const DELIVERY_CODE = new RegExp(DELIVERY_CODE_PATTERN_FROM_SPEC);
export const MAX_CLOCK_SECONDS: number = MAX_CLOCK_SECONDS_FROM_SPEC;
export const DELIVERY_CODE_SENTENCE = 'The delivery code is exactly 4 digits.';

/** The request fields a person fills in on the page, by their `param` in an error, as the page names them. */
export const FIELD_NAMES: Readonly<Record<string, string>> = {
  url: 'The endpoint URL',
  secret: 'The signing secret',
  seconds: 'The clock advance',
  delivery_code: 'The delivery code',
  job_comment: 'The comment for the driver',
  'contact_less.comment': 'The contactless choice',
  'contact_less.cash_receiver': 'The cash receiver',
  reason: 'The cancel reason',
  times: 'Times',
};
