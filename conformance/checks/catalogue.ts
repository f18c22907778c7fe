/**
 * Every check the kit runs, in the order it runs them. Adding a check is adding one object
 * to one of these lists; `npm run conformance:table` refreshes conformance/CHECKS.md.
 */
import { authChecks } from './auth';
import { coverageRefusalChecks } from './coverage-refusals';
import { deliveryCodeChecks } from './delivery-code';
import { faultChecks } from './faults';
import { idempotencyChecks } from './idempotency';
import { isolationChecks } from './isolation';
import { jobChecks } from './jobs';
import { sandboxChecks } from './sandbox';
import { slotChecks } from './slots';
import { validationChecks } from './validation';
import { webhookChecks } from './webhooks';
import type { Check } from './context';

export const catalogue: readonly Check[] = [
  ...authChecks,
  ...validationChecks,
  ...jobChecks,
  ...slotChecks,
  ...idempotencyChecks,
  ...deliveryCodeChecks,
  ...webhookChecks,
  ...isolationChecks,
  ...sandboxChecks,
  ...faultChecks,
  ...coverageRefusalChecks,
];
