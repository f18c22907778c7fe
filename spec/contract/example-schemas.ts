/**
 * Which schema each of the spec's named examples (`components.examples`) illustrates, so
 * that an example reads as its generated type. A data table: spec/contract.test.ts checks
 * that it names every example and that each example is valid against its schema.
 */
import type { components } from '../types.gen';

type SchemaName = keyof components['schemas'];

export const EXAMPLE_SCHEMAS = {
  AvailabilityRequest: 'AvailabilityRequest',
  SlotList: ['Slot'],
  SlotCheck: 'SlotCheck',
  SlotCheckExtended: 'SlotCheck',
  CreateJobRequest: 'CreateJobRequest',
  CreateJobRequestMinimal: 'CreateJobRequest',
  CreateJobResponse: 'CreateJobResponse',
  Job: 'Job',
  JobCancelled: 'Job',
  JobList: ['Job'],
  PaymentInfo: 'PaymentInfo',
  ExternalData: 'ExternalData',
  CancelJobRequest: 'CancelJobRequest',
  UpdateDeliveryCodeRequest: 'UpdateDeliveryCodeRequest',
  RescheduleJobRequest: 'RescheduleJobRequest',
  RecipientInstructionsRequest: 'RecipientInstructionsRequest',
  Health: 'Health',
  Readiness: 'Readiness',
  NotReady: 'NotReady',
  Clock: 'Clock',
  ClockAdvanced: 'Clock',
  ClockFrozen: 'Clock',
  AdvanceClockRequest: 'AdvanceClockRequest',
  AdvanceClockToRequest: 'AdvanceClockRequest',
  AdvanceJobRequest: 'AdvanceJobRequest',
  CreateWebhookEndpointRequest: 'CreateWebhookEndpointRequest',
  WebhookEndpointWithSecret: 'WebhookEndpointWithSecret',
  WebhookEndpointList: ['WebhookEndpoint'],
  CreateWebhookRelayRequest: 'CreateWebhookRelayRequest',
  WebhookRelayWithSecret: 'WebhookEndpointWithSecret',
  RelayResult: 'RelayResult',
  WebhookEvent: 'WebhookEvent',
  WebhookDelivery: 'WebhookDelivery',
  WebhookDeliveryList: ['WebhookDelivery'],
  Reset: 'Message',
  ErrorMalformedJson: 'Error',
  ErrorUnauthorized: 'Error',
  ErrorSlotNotFound: 'Error',
  ErrorJobNotFound: 'Error',
  ErrorSlotAlreadyUsed: 'Error',
  ErrorWebhookEndpointDeleted: 'Error',
  ErrorPayloadTooLarge: 'Error',
  ErrorUnsupportedMediaType: 'Error',
  ErrorSlotExpired: 'Error',
  ErrorValidationFailed: 'Error',
  ErrorInvalidDeliveryCode: 'Error',
  ErrorDeliveryCodeLocked: 'Error',
  ErrorTenantFull: 'Error',
  ErrorInternal: 'Error',
  ErrorStoreUnavailable: 'Error',
  ErrorFaultInjected: 'Error',
  UpdateWebhookEndpointRequest: 'UpdateWebhookEndpointRequest',
  WebhookEndpointFaulted: 'WebhookEndpoint',
  FaultRuleRequest: 'FaultRuleRequest',
  FaultRuleSlowRequest: 'FaultRuleRequest',
  FaultRuleMatchRequest: 'FaultRuleRequest',
  FaultRuleDelayRequest: 'FaultRuleRequest',
  FaultRule: 'FaultRule',
  FaultRuleList: ['FaultRule'],
} as const satisfies Record<string, SchemaName | readonly [SchemaName]>;

export type ExampleName = keyof typeof EXAMPLE_SCHEMAS;

type ValueOf<E> = E extends readonly [infer S extends SchemaName]
  ? Array<components['schemas'][S]>
  : E extends SchemaName
    ? components['schemas'][E]
    : never;

/** The generated type of a named example's value. */
export type ExampleValue<N extends ExampleName> = ValueOf<(typeof EXAMPLE_SCHEMAS)[N]>;

export type NamedExamples = { [N in ExampleName]: { summary?: string; value: ExampleValue<N> } };
