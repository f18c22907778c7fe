/** The page's one shared state: who is signed in, where they are, what was last fetched. */
import type { Job, JobState } from './model';

export type Route = { name: 'jobs'; filter: JobState | '' } | { name: 'job'; id: string };

export interface ConsoleState {
  key: string | null;
  route: Route | null;
  job: Job | null;
  /** Tenant clock minus the browser's clock, so the shown time ticks without asking the server. */
  skewMs: number;
  frozenAt: string | null;
  /** Deliveries and attempts whose details the user opened; a redraw keeps them open. */
  openDeliveries: Set<string>;
  /** How many of the follow-up looks at settling deliveries were made since the last action. */
  settle: number;
}

export const state: ConsoleState = {
  key: null,
  route: null,
  job: null,
  skewMs: 0,
  frozenAt: null,
  openDeliveries: new Set(),
  settle: 0,
};

/** The job id when the job page is showing, else null. */
export function currentJobId(): string | null {
  return state.route?.name === 'job' ? state.route.id : null;
}
