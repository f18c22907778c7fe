/**
 * The Faults panel: the tenant's fault rules (what they do, how often they fired), a form
 * to add one and a button to remove each. While the panel is open its counts are read
 * again every two seconds, so a firing shows as it happens.
 */
import { api, describe } from './api';
import { $, clearWhenEdited, el, form, input, select, showError } from './dom';
import type { components } from '../spec/types.gen';
import { state } from './state';

type FaultRule = components['schemas']['FaultRule'];
type FaultRuleRequest = components['schemas']['FaultRuleRequest'];

const REFRESH_MS = 2000;

function effectOf(rule: FaultRule): string {
  if (rule.status !== undefined) return `${rule.status}`;
  if (rule.drop !== undefined) return `drop (${rule.drop})`;
  const delay = rule.delay_ms;
  return typeof delay === 'number' ? `delay ${delay} ms` : `delay ${delay?.min}-${delay?.max} ms`;
}

export async function refreshFaults(): Promise<void> {
  let rules: FaultRule[];
  try {
    rules = await api<FaultRule[]>('GET', '/sandbox/faults');
  } catch {
    return;
  }
  $('fault-count').textContent = String(rules.length);
  $('fault-list').replaceChildren(
    ...rules.map((rule) =>
      el(
        'li',
        { 'data-fault': rule.id },
        el('code', {}, (rule.operations ?? []).length === 10 ? 'every operation' : (rule.operations ?? []).join(', ')),
        ` ${effectOf(rule)}, ${rule.phase}`,
        rule.times !== undefined ? `, ${rule.times} times` : '',
        rule.probability !== undefined ? `, p=${rule.probability} seed ${rule.seed}` : '',
        ' · fired ',
        el('strong', { class: 'fault-fired' }, String(rule.fired)),
        el(
          'button',
          {
            type: 'button',
            class: 'danger',
            'aria-label': `Remove fault rule ${rule.id}`,
            onclick: () => void removeFault(rule),
          },
          'Remove',
        ),
      ),
    ),
  );
  if (!rules.length) $('fault-list').append(el('li', { class: 'muted' }, 'None: every call is answered as usual.'));
}

async function removeFault(rule: FaultRule): Promise<void> {
  showError('fault-error', '');
  try {
    await api('DELETE', `/sandbox/faults/${encodeURIComponent(rule.id)}`);
    void refreshFaults();
  } catch (error) {
    showError('fault-error', describe(error));
  }
}

/** The form's effect, as the rule's fields: a status, a delay or a drop. */
function effectFields(effect: string): Partial<FaultRuleRequest> {
  if (effect === 'reset' || effect === 'hang') return { drop: effect };
  if (effect.startsWith('delay-')) return { delay_ms: Number(effect.slice('delay-'.length)) };
  return { status: Number(effect) as NonNullable<FaultRuleRequest['status']> };
}

export function wireFaults(): void {
  clearWhenEdited('fault-form', 'fault-error');
  form('fault-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void addFault();
  });
  const panel = $('faults', HTMLDetailsElement);
  panel.addEventListener('toggle', () => {
    if (panel.open) void refreshFaults();
  });
  setInterval(() => {
    if (state.key && panel.open) void refreshFaults();
  }, REFRESH_MS);
}

async function addFault(): Promise<void> {
  const operation = select('fault-operation').value;
  const timesText = input('fault-times').value.trim();
  const times = Number(timesText);
  const problem = timesText && (!Number.isInteger(times) || times < 1) ? 'Times: a whole number, 1 or more.' : null;
  showError('fault-error', problem);
  if (problem) return;
  const rule = {
    ...(operation ? { operations: [operation as components['schemas']['FaultableOperation']] } : {}),
    phase: select('fault-phase').value as FaultRule['phase'],
    ...effectFields(select('fault-effect').value),
    ...(timesText ? { times } : {}),
  };
  try {
    await api('POST', '/sandbox/faults', rule);
    input('fault-times').value = '';
    void refreshFaults();
  } catch (error) {
    showError('fault-error', describe(error));
  }
}
