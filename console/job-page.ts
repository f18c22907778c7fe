/** The job page: what the recipient sees, and the operator's controls. */
import { api, ApiError, describe } from './api';
import { refreshDeliveriesAfterAction } from './deliveries';
import {
  $,
  clearWhenEdited,
  confirmDialog,
  el,
  form,
  input,
  jobShown,
  sayAboutJob,
  select,
  setBadge,
  showError,
  slotWindow,
  utc,
} from './dom';
import {
  DELIVERY_CODE,
  FINAL,
  DELIVERY_CODE_SENTENCE,
  LIFECYCLE,
  RECIPIENT_LABELS,
  type AdvanceJobRequest,
  type ContactLess,
  type Job,
  type RecipientInstructionsRequest,
} from './model';
import { currentJobId, state } from './state';

export async function refreshJob(withDeliveries: boolean): Promise<void> {
  const id = currentJobId();
  if (id === null) return;
  let job: Job;
  try {
    job = await api<Job>('GET', `/jobs/${encodeURIComponent(id)}`);
  } catch (error) {
    if (currentJobId() === id) {
      $('job-title').textContent = 'Job not found';
      $('job-error').textContent = describe(error);
    }
    return;
  }
  if (currentJobId() !== id) return;
  $('job-error').textContent = '';
  const first = !state.job || state.job.id !== job.id;
  state.job = job;
  showJob(job, first);
  if (withDeliveries) refreshDeliveriesAfterAction();
}

function showRecipientView(job: Job): void {
  const destination = job.destination;
  $('r-route').textContent =
    `${job.slot?.store?.name || 'Store'} → ${[destination?.name, destination?.address].filter(Boolean).join(', ')}`;
  $('r-window').textContent = `Delivery window: ${slotWindow(job.slot)}`;
  $('r-code').hidden = !job.delivery_code || job.state === 'CANCELLED';
  $('r-code-value').textContent = job.delivery_code || '';
  $('r-cancelled').hidden = job.state !== 'CANCELLED';
  $('r-cancelled').textContent =
    `This delivery was cancelled${job.cancellation_reason ? `: ${job.cancellation_reason}` : '.'}`;
  const reached = new Map<string, string>();
  for (const entry of job.history ?? []) if (!reached.has(entry.type)) reached.set(entry.type, entry.at);
  const current = LIFECYCLE.indexOf(job.state);
  $('r-timeline').replaceChildren(
    ...LIFECYCLE.map((step, i) => {
      const isCurrent = step === job.state;
      const done = reached.has(step) && !isCurrent;
      return el(
        'li',
        { class: isCurrent ? 'current' : done ? 'done' : null, 'aria-current': isCurrent ? 'step' : null },
        RECIPIENT_LABELS[step] ?? step,
        reached.has(step) ? el('span', { class: 'when' }, utc(reached.get(step))) : null,
        el('span', { class: 'sr-only' }, isCurrent ? ' (current step)' : done || i < current ? ' (done)' : ''),
      );
    }),
  );
}

function showInstructions(job: Job, first: boolean, final: boolean): void {
  // The instructions form is refilled only when nobody is typing in it.
  const instructions = form('instructions-form');
  if (first || !instructions.contains(document.activeElement)) {
    $('i-comment', HTMLTextAreaElement).value = job.job_comment || '';
    const contactless = job.contact_less?.comment || '';
    const choice = select('i-contactless');
    if (contactless && !Array.from(choice.options).some((o) => o.value === contactless))
      choice.append(el('option', { value: contactless }, contactless));
    choice.value = contactless;
    input('i-cash').value = job.contact_less?.cash_receiver || '';
  }
  for (const field of Array.from(instructions.elements)) if ('disabled' in field) field.disabled = final;
  $('instructions-note').textContent = final ? `The job is ${job.state}; its instructions can no longer change.` : '';
}

function showOperatorControls(job: Job, final: boolean): void {
  const current = LIFECYCLE.indexOf(job.state);
  const next = LIFECYCLE[current + 1];
  const needsCode = Boolean(job.add_delivery_code);
  const nextButton = $('op-next', HTMLButtonElement);
  nextButton.hidden = final;
  $('op-final').hidden = !final;
  $('op-final').textContent = `The job is ${job.state}: final, nothing more to drive.`;
  if (next === 'CLIENT_RECEIVED')
    nextButton.textContent = needsCode
      ? 'Next: CLIENT_RECEIVED (needs the code below)'
      : 'Advance one step → CLIENT_RECEIVED';
  else nextButton.textContent = `Advance one step → ${next}`;
  nextButton.disabled = final || (next === 'CLIENT_RECEIVED' && needsCode);
  const targets = final ? [] : LIFECYCLE.slice(current + 1).filter((s) => !(needsCode && s === 'CLIENT_RECEIVED'));
  const to = select('op-to');
  const previousChoice = to.value;
  to.replaceChildren(...targets.map((s) => el('option', { value: s }, s)));
  if (targets.some((s) => s === previousChoice)) to.value = previousChoice;
  $('op-code').hidden = !needsCode;
  $('op-code-label').hidden = !needsCode;
  $('op-to-form').hidden = targets.length === 0;
  $('op-complete-form').hidden = final;
  $('op-cancel-form').hidden = final;
}

function showJob(job: Job, first: boolean): void {
  jobShown(job);
  document.title = `${job.client_reference} · lastmile sandbox console`;
  $('job-title').textContent = job.client_reference;
  setBadge($('job-state'), job.state);
  $('job-id').textContent = job.id;
  const final = FINAL.has(job.state);
  showRecipientView(job);
  showInstructions(job, first, final);
  showOperatorControls(job, final);
  $('job-json').textContent = JSON.stringify(job, null, 2);
}

/**
 * Runs one operator action. Its message (or its error, beside the control when `errorId` names
 * one) describes the job as the action left it, so it is shown after the job is.
 */
async function act(run: () => Promise<Job>, success: (job: Job) => string, errorId?: string): Promise<void> {
  for (const id of ['op-message', 'op-to-error', 'op-code-error']) showError(id, '');
  try {
    const job = await run();
    if (job.id === currentJobId()) {
      state.job = job;
      showJob(job, false);
    }
    sayAboutJob('op-message', success(job));
    refreshDeliveriesAfterAction();
  } catch (error) {
    // A refusal often means the job moved meanwhile: show it as it is, then say why.
    if (error instanceof ApiError && currentJobId() !== null) await refreshJob(false);
    sayAboutJob(errorId ?? 'op-message', describe(error), true);
  }
}

const jobPath = (suffix: string) => `/sandbox/jobs/${encodeURIComponent(currentJobId() ?? '')}/${suffix}`;
const advance = (body: AdvanceJobRequest) => api<Job>('POST', jobPath('advance'), body);
const moved = (job: Job) => `Moved to ${job.state}.`;

export function wireJobPage(): void {
  clearWhenEdited('op-to-form', 'op-to-error');
  clearWhenEdited('op-complete-form', 'op-code-error');
  $('op-next').addEventListener('click', () => void act(() => advance({}), moved));
  form('op-to-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const to = select('op-to').value as NonNullable<AdvanceJobRequest['to']>;
    void act(() => advance({ to }), moved, 'op-to-error');
  });
  form('op-complete-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const body: AdvanceJobRequest = { to: 'CLIENT_RECEIVED' };
    if (state.job?.add_delivery_code) {
      body.delivery_code = input('op-code').value.trim();
      // A malformed code is refused before sending: it must never cost one of the attempts.
      if (!DELIVERY_CODE.test(body.delivery_code)) {
        showError('op-code-error', DELIVERY_CODE_SENTENCE);
        input('op-code').focus();
        return;
      }
    }
    void act(
      () => advance(body),
      () => {
        input('op-code').value = '';
        return 'Delivered: the job is CLIENT_RECEIVED.';
      },
      'op-code-error',
    );
  });
  form('op-cancel-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const reason = input('op-reason').value.trim();
    const ok = await confirmDialog(
      'Cancel this job?',
      'A cancelled job is final: it cannot move or change again.',
      'Cancel job',
    );
    if (!ok) return;
    void act(
      () => api<Job>('POST', `/jobs/${encodeURIComponent(currentJobId() ?? '')}/cancel`, reason ? { reason } : {}),
      () => 'Cancelled.',
    );
  });
  form('instructions-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const contactLess: ContactLess = {};
    if (select('i-contactless').value) contactLess.comment = select('i-contactless').value;
    if (input('i-cash').value.trim()) contactLess.cash_receiver = input('i-cash').value.trim();
    const body: RecipientInstructionsRequest = {
      job_comment: $('i-comment', HTMLTextAreaElement).value,
      contact_less: contactLess,
    };
    void act(
      () => api<Job>('PUT', jobPath('recipient-instructions'), body),
      () => 'Instructions saved (JOB_COMMENT_UPDATED).',
    );
  });
}
