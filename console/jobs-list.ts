/** The jobs list: every job of the tenant, filterable by state. */
import { api, describe } from './api';
import { $, badge, el, flash, select, slotWindow, utc } from './dom';
import { STATES, type Job } from './model';
import { state } from './state';

export async function refreshJobs(changedId?: string): Promise<void> {
  if (state.route?.name !== 'jobs') return;
  const filter = state.route.filter;
  let jobs: Job[];
  try {
    jobs = await api<Job[]>('GET', `/sandbox/jobs?limit=200${filter ? `&state=${encodeURIComponent(filter)}` : ''}`);
  } catch (error) {
    flash(describe(error), true);
    return;
  }
  if (state.route?.name !== 'jobs' || state.route.filter !== filter) return;
  $('jobs-body').replaceChildren(
    ...jobs.map((job) =>
      el(
        'tr',
        { class: job.id === changedId ? 'flash' : null, dataset: { jobId: job.id } },
        el(
          'td',
          { class: 'reference' },
          el('a', { href: `#/jobs/${encodeURIComponent(job.id)}` }, job.client_reference),
        ),
        el('td', { class: 'state' }, badge(job.state)),
        // The labels head each value where a narrow screen shows the rows as cards.
        el('td', { class: 'window', dataset: { label: 'Slot window' } }, slotWindow(job.slot)),
        el(
          'td',
          { class: 'created', dataset: { label: 'Created' } },
          el('time', { datetime: job.created_at }, utc(job.created_at)),
        ),
      ),
    ),
  );
  $('jobs-table').hidden = jobs.length === 0;
  $('jobs-empty').hidden = jobs.length !== 0 || Boolean(filter);
  $('jobs-no-match').hidden = jobs.length !== 0 || !filter;
  $('jobs-no-match-state').textContent = filter;
  const count = $('jobs-count');
  count.classList.remove('bad');
  count.textContent = `${jobs.length} job${jobs.length === 1 ? '' : 's'}${filter ? ` in ${filter}` : ''}`;
}

export function wireJobsList(): void {
  const filter = select('state-filter');
  for (const s of STATES) filter.append(el('option', { value: s }, s));
  filter.addEventListener('change', () => {
    location.hash = filter.value ? `#/jobs?state=${encodeURIComponent(filter.value)}` : '#/jobs';
  });
}
