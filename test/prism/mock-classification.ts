/**
 * What the kit says about `lastmile mock` (Prism serving the spec's examples), check by
 * check, and why: what a stateless mock cannot do for an integrator. `shows` must match
 * the first failure (its message and what was received) or the reason of a skip, so that
 * each "why" is checked, not just claimed. mock.test.ts asserts this table.
 */
export type MockStatus = 'passed' | 'failed' | 'skipped';

export interface MockVerdict {
  status: MockStatus;
  why: string;
  shows?: RegExp;
}

export const mockClassification: Record<string, MockVerdict> = {
  'AUTH-MISSING-KEY-401': {
    status: 'passed',
    why: "Prism enforces the spec's apiKey scheme: no key, or an empty one, gets the Unauthorized example",
  },
  'AUTH-WRONG-KEY-401': {
    status: 'skipped',
    why: 'a mock has no key list: any key reads the example job, so no key is known to be wrong',
    shows: /could not tell whether a random key is refused/,
  },
  'AUTH-MISSING-KEY-SANDBOX-401': { status: 'passed', why: 'as AUTH-MISSING-KEY-401, for the sandbox operations' },
  'AUTH-WRONG-KEY-SANDBOX-401': {
    status: 'skipped',
    why: 'as AUTH-WRONG-KEY-401',
    shows: /could not tell whether a random key is refused/,
  },
  'VALIDATION-CREATE-JOB-422': {
    status: 'failed',
    why: "every invalid body is refused with 422, but always with the spec's one example, which names other fields than the broken one",
    shows: /no errors\[\] item names the field.*recipient\.phone_number/,
  },
  'VALIDATION-AVAILABILITY-422': {
    status: 'failed',
    why: 'the same single 422 example, naming create-job fields',
    shows: /no errors\[\] item names the field.*recipient\.phone_number/,
  },
  'VALIDATION-AVAILABILITY-WINDOW-422': {
    status: 'failed',
    why: 'the window rules (end after start, at most 7 days) are not in the schema; the backwards window gets the example slots',
    shows: /answered 200, expected 422 VALIDATION_FAILED/,
  },
  'VALIDATION-MALFORMED-JSON-400': {
    status: 'failed',
    why: "Prism parses bodies itself and answers malformed JSON with its own 400 {error: {code: invalid_json}}, not the contract's envelope",
    shows: /breaks the contract.*body\.code: is required/,
  },
  'VALIDATION-CONTENT-TYPE-415': {
    status: 'passed',
    why: "Prism refuses a media type the operation does not list with 415 and the spec's example",
  },
  'VALIDATION-MALFORMED-JSON-SANDBOX-400': {
    status: 'failed',
    why: 'as VALIDATION-MALFORMED-JSON-400',
    shows: /breaks the contract.*body\.code: is required/,
  },
  'VALIDATION-CONTENT-TYPE-SANDBOX-415': { status: 'passed', why: 'as VALIDATION-CONTENT-TYPE-415' },
  'JOB-SPEC-EXAMPLES-201': {
    status: 'failed',
    why: "a mock keeps nothing: GET answers the spec's example job, not the one just created",
    shows: /GET \/jobs\/\{job_id\} does not return what was sent/,
  },
  'JOB-SEEDED-ORDERS-201': {
    status: 'failed',
    why: 'a mock cannot read back an order it did not keep',
    shows: /GET \/jobs\/\{job_id\} does not return what was sent/,
  },
  'JOB-UNKNOWN-FIELDS-WARNED': {
    status: 'failed',
    why: "the warnings are the example's (gift_wrap only), not the unknown fields actually sent",
    shows: /warnings must name recipient\.nickname/,
  },
  'JOB-NOT-FOUND-404': {
    status: 'failed',
    why: 'any job id reads as the example job: a stateless mock has no unknown ids',
    shows: /answered 200, expected 404 JOB_NOT_FOUND/,
  },
  'JOB-PAYMENT-AND-EXTERNAL-DATA': {
    status: 'failed',
    why: 'a mock keeps nothing: GET answers the example job, not the payment info just sent',
    shows: /GET returns the new payment_info/,
  },
  'JOB-CANCEL': {
    status: 'failed',
    why: 'the answer is the example cancelled job with its own reason, not the reason sent',
    shows: /the cancelled job/,
  },
  'JOB-RESCHEDULE': {
    status: 'failed',
    why: 'the answer is the example job on the example slot, not on the slot asked for',
    shows: /the job is on the new slot/,
  },
  'SLOT-AVAILABILITY-SHAPE': {
    status: 'failed',
    why: "availability is the example's two slots whatever the window, slot_size and operational models",
    shows: /slots per model and step/,
  },
  'SLOT-CHECK-200': {
    status: 'passed',
    why: "the check example repeats the availability example's first slot and expiry: the two examples agree",
  },
  'SLOT-UNKNOWN-404': {
    status: 'failed',
    why: 'any slot id checks as the example AVAILABLE slot',
    shows: /answered 200, expected 404 SLOT_NOT_FOUND/,
  },
  'SLOT-EXTEND-200': {
    status: 'failed',
    why: 'extending answers the extended example, but the next check is the unextended one: nothing is kept between calls',
    shows: /the check shows the extension/,
  },
  'SLOT-SINGLE-USE-409': {
    status: 'failed',
    why: 'a second job on the same slot is another example 201: no memory of used slots',
    shows: /answered 201, expected 409 SLOT_ALREADY_USED/,
  },
  'SLOT-EXPIRED-417': {
    status: 'failed',
    why: "the frozen clock example (15:16) is already past the slot example's expiry (15:15), and a mock clock cannot be advanced",
    shows: /a fresh slot is held for more than a second/,
  },
  'SLOT-EXTEND-TTL': {
    status: 'failed',
    why: 'against a fixed clock already past the hold, the extension cannot be judged against the hold time',
    shows: /adds three times the hold time/,
  },
  'IDEMPOTENCY-REPLAY': {
    status: 'failed',
    why: 'the replay is the same example, but the same body without the key is another 201: no memory of the first job',
    shows: /answered 201, expected 409 SLOT_ALREADY_USED/,
  },
  'IDEMPOTENCY-KEY-REUSED-409': {
    status: 'failed',
    why: 'no memory of keys: another body under the same key is another 201',
    shows: /answered 201, expected 409 IDEMPOTENCY_KEY_REUSED/,
  },
  'DELIVERY-CODE-PRESENT': {
    status: 'failed',
    why: 'every job is the example job, which has a code whatever add_delivery_code said',
    shows: /add_delivery_code false has no code/,
  },
  'DELIVERY-CODE-UPDATE': {
    status: 'failed',
    why: "the update answers the example's code, not the one sent",
    shows: /the answer carries the new code/,
  },
  'DELIVERY-CODE-FROZEN-409': {
    status: 'failed',
    why: 'no lifecycle state: the code can always be updated',
    shows: /answered 200, expected 409 DELIVERY_CODE_FROZEN/,
  },
  'DELIVERY-CODE-COMPLETION': {
    status: 'failed',
    why: 'advancing always answers the example job; the code is never asked for',
    shows: /answered 200, expected 422 VALIDATION_FAILED/,
  },
  'DELIVERY-CODE-LOCKED-423': {
    status: 'failed',
    why: 'a wrong code is never refused: advancing is the example 200',
    shows: /answered 200, expected 422 INVALID_DELIVERY_CODE/,
  },
  'DELIVERY-CODE-UNLOCK-AT-DOOR': {
    status: 'failed',
    why: 'no lifecycle state and no attempts: a wrong code at the door is the example 200',
    shows: /answered 200, expected 422 INVALID_DELIVERY_CODE/,
  },
  'WEBHOOK-LIFECYCLE-EVENTS': {
    status: 'failed',
    why: "registering answers the example endpoint with the example's secret, and a mock sends no webhooks",
    shows: /the endpoint keeps the secret it was given/,
  },
  'WEBHOOK-OUT-OF-BAND-EVENTS': {
    status: 'failed',
    why: 'as WEBHOOK-LIFECYCLE-EVENTS',
    shows: /the endpoint keeps the secret it was given/,
  },
  'WEBHOOK-RETRY': {
    status: 'failed',
    why: 'as WEBHOOK-LIFECYCLE-EVENTS: no deliveries, so nothing to retry',
    shows: /the endpoint keeps the secret it was given/,
  },
  'WEBHOOK-IN-ORDER-WAITING': {
    status: 'failed',
    why: 'as WEBHOOK-LIFECYCLE-EVENTS: no deliveries, so nothing waits',
    shows: /the endpoint keeps the secret it was given/,
  },
  'WEBHOOK-DEAD-LETTER': {
    status: 'failed',
    why: 'as WEBHOOK-LIFECYCLE-EVENTS: no deliveries, so nothing fails or is dead-lettered',
    shows: /the endpoint keeps the secret it was given/,
  },
  'WEBHOOK-MANUAL-RETRY': {
    status: 'failed',
    why: 'as WEBHOOK-LIFECYCLE-EVENTS: no deliveries to send again',
    shows: /the endpoint keeps the secret it was given/,
  },
  'WEBHOOK-ENDPOINT-LIMIT-409': {
    status: 'failed',
    why: 'no memory of endpoints: a fourth is another example 201',
    shows: /answered 201, expected 409 WEBHOOK_ENDPOINT_LIMIT/,
  },
  'ISOLATION-SLOT-JOB-404': {
    status: 'skipped',
    why: 'a mock has no tenants: the kit cannot tell it opens one per key, so there is no second tenant',
    shows: /no second tenant/,
  },
  'ISOLATION-WEBHOOKS': { status: 'skipped', why: 'as ISOLATION-SLOT-JOB-404', shows: /no second tenant/ },
  'SANDBOX-HEALTH': { status: 'passed', why: 'the health example is the answer a live server gives' },
  'SANDBOX-CLOCK-ADVANCE': {
    status: 'failed',
    why: 'the advance answers the running example (offset 1920), not the frozen clock moved by the seconds asked',
    shows: /the clock moves by the seconds asked, and stays frozen/,
  },
  'SANDBOX-CLOCK-ADVANCE-TO': {
    status: 'failed',
    why: 'a stateless mock has no clock to move: every advance answers the same example time',
    shows: /now is the instant asked/,
  },
  'FAULT-AFTER-COMMITS-IDEMPOTENT-RETRY': {
    status: 'failed',
    why: 'a stateless mock keeps no fault rules: the faulted create answers the 201 example',
    shows: /answered 201, expected 504/,
  },
  'FAULT-BEFORE-CHANGES-NOTHING': {
    status: 'failed',
    why: 'a stateless mock keeps no fault rules: the faulted call answers its success example',
    shows: /answered 201, expected 503/,
  },
  'FAULT-CONTROL-ROUTES-UNTOUCHED': {
    status: 'failed',
    why: 'a stateless mock keeps no fault rules: the faulted availability answers its example',
    shows: /answered 200, expected 500/,
  },
  'FAULT-TIMES': {
    status: 'failed',
    why: 'a stateless mock keeps no fault rules, so it cannot fire one a given number of times',
    shows: /answered 200, expected 500/,
  },
  'FAULT-WEBHOOK-DUPLICATE': {
    status: 'failed',
    why: 'a stateless mock keeps no endpoint: it answers the example secret, not the one given',
    shows: /the endpoint keeps the secret it was given/,
  },
  'WEBHOOK-ATTEMPT-RECORDED': {
    status: 'failed',
    why: 'a stateless mock keeps no endpoint and sends no delivery: it answers the example secret, not the one given',
    shows: /the endpoint keeps the secret it was given/,
  },
  'WEBHOOK-RELAY-ENDPOINT': {
    status: 'failed',
    why: 'a stateless mock keeps no relay endpoint: it answers the example secret, not the one given',
    shows: /the relay keeps the secret it was given/,
  },
  'SANDBOX-CLOCK-FREEZE': {
    status: 'failed',
    why: 'freezing answers the frozen example, but the next read is the running one: nothing is kept between calls',
    shows: /a frozen clock reads the instant it was frozen at/,
  },
  'JOB-LIFECYCLE-STEPS': {
    status: 'failed',
    why: 'a backward move is the example job (200): no lifecycle state',
    shows: /answered 200, expected 409 ILLEGAL_TRANSITION/,
  },
  'JOB-UPDATE-REFUSALS': {
    status: 'failed',
    why: 'Prism refuses the invalid bodies itself, but an unknown job id reads as the example job',
    shows: /of an unknown job: .* answered 200, expected 404 JOB_NOT_FOUND/,
  },
  'SANDBOX-REFUSALS': {
    status: 'failed',
    why: 'no clock: a reschedule onto a slot held past its expiry answers the example job',
    shows: /onto an expired slot: .* answered 200, expected 417 SLOT_EXPIRED/,
  },
};
