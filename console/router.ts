/** Which view shows, from the URL's hash: `#/jobs`, `#/jobs?state=…` or `#/jobs/{id}`. */
import { $, input, select } from './dom';
import { isJobState } from './model';
import { refreshJob } from './job-page';
import { refreshJobs } from './jobs-list';
import { state, type Route } from './state';
import { refreshClock, refreshEndpoints } from './tenant-bar';

function parseRoute(): Route {
  const hash = location.hash.replace(/^#/, '');
  const match = /^\/jobs\/([^/?#]+)$/.exec(hash);
  if (match) return { name: 'job', id: decodeURIComponent(match[1]) };
  const asked = new URLSearchParams(hash.split('?')[1] || '').get('state');
  return { name: 'jobs', filter: isJobState(asked) ? asked : '' };
}

const jobIdOf = (route: Route) => (route.name === 'job' ? route.id : undefined);

export function render(): void {
  const signedIn = Boolean(state.key);
  $('sign-in').hidden = signedIn;
  $('tenant-bar').hidden = !signedIn;
  $('tenant-actions').hidden = !signedIn;
  if (!signedIn) {
    $('jobs-view').hidden = true;
    $('job-view').hidden = true;
    document.title = 'Console · lastmile sandbox';
    input('api-key').focus();
    return;
  }
  const previous = state.route;
  const route = parseRoute();
  state.route = route;
  const isJob = route.name === 'job';
  $('jobs-view').hidden = isJob;
  $('job-view').hidden = !isJob;
  if (route.name === 'job') {
    if (!previous || jobIdOf(previous) !== route.id) {
      state.job = null;
      state.openDeliveries.clear();
      $('job-title').textContent = 'Loading…';
      $('deliveries-list').replaceChildren();
      $('op-message').textContent = '';
    }
    void refreshJob(true);
  } else {
    select('state-filter').value = route.filter;
    document.title = 'Jobs · lastmile sandbox console';
    void refreshJobs();
  }
  if (previous && (previous.name !== route.name || jobIdOf(previous) !== jobIdOf(route))) $('main').focus();
}

/** Everything the page shows, fetched afresh. */
export function refreshCurrent(): void {
  void refreshClock();
  void refreshEndpoints();
  if (state.route?.name === 'job') void refreshJob(true);
  else void refreshJobs();
}
