/**
 * Every check the kit runs, in the order it runs them. Adding a check is adding one object
 * to one of these lists; `npm run conformance:table` refreshes conformance/CHECKS.md.
 */
import { authChecks } from './checks/auth';
import { coverageRefusalChecks } from './checks/coverage-refusals';
import { deliveryCodeChecks } from './checks/delivery-code';
import { idempotencyChecks } from './checks/idempotency';
import { isolationChecks } from './checks/isolation';
import { jobChecks } from './checks/jobs';
import { sandboxChecks } from './checks/sandbox';
import { slotChecks } from './checks/slots';
import { validationChecks } from './checks/validation';
import { webhookChecks } from './checks/webhooks';
import type { Check } from './types';

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
  ...coverageRefusalChecks,
];
