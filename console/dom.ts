/** Finding and building elements. Job data only ever enters the page as text. */
import type { Job } from './model';
import { state } from './state';

type ElementClass<T extends HTMLElement> = { new (): T; prototype: T };

/** The page's element with this id, of the kind the page's HTML promises. */
export function $<T extends HTMLElement = HTMLElement>(id: string, kind?: ElementClass<T>): T {
  const node = document.getElementById(id);
  const expected = kind ?? HTMLElement;
  if (!(node instanceof expected))
    throw new Error(`#${id} is missing from the console page or is not a ${expected.name}`);
  return node as T;
}

export const input = (id: string) => $(id, HTMLInputElement);
export const select = (id: string) => $(id, HTMLSelectElement);
export const form = (id: string) => $(id, HTMLFormElement);

type Child = Node | string | number | null | undefined | false;
type Props = Record<
  string,
  string | number | boolean | null | undefined | Record<string, string> | ((event: Event) => void)
>;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props | null,
  ...children: Array<Child | Child[]>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- props are strings, numbers or true here
    if (name === 'class') node.className = String(value);
    else if (name === 'dataset' && typeof value === 'object') Object.assign(node.dataset, value);
    else if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- props are strings, numbers or true here
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function utc(iso: string | null | undefined, withSeconds = false): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const s = d.toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, withSeconds ? 19 : 16)} UTC`;
}

export function slotWindow(slot: { from: string; to: string } | undefined): string {
  if (!slot) return '';
  const from = new Date(slot.from).toISOString();
  const to = new Date(slot.to).toISOString();
  const toText = from.slice(0, 10) === to.slice(0, 10) ? to.slice(11, 16) : `${to.slice(0, 10)} ${to.slice(11, 16)}`;
  return `${from.slice(0, 10)} ${from.slice(11, 16)}–${toText} UTC`;
}

export function badge(value: string, kind: 'state' | 'status' = 'state'): HTMLElement {
  return el('span', { class: 'badge', dataset: kind === 'status' ? { status: value } : { state: value } }, value);
}

export function setBadge(node: HTMLElement, value: string): void {
  node.textContent = value;
  node.dataset.state = value;
}

/** Shows an error beside the control that caused it (empty text clears it). */
export function showError(id: string, text: string | null): void {
  $(id).textContent = text || '';
}

/** An error beside a form is about the values that were sent: it goes as soon as one of them is edited. */
export function clearWhenEdited(formId: string, errorId: string): void {
  const clear = () => showError(errorId, '');
  form(formId).addEventListener('input', clear);
  form(formId).addEventListener('change', clear);
}

// The job page's messages tell what an action did to the job, or why it was refused: each
// describes the job as it was then, and goes once the page shows the job changed (a step made
// over the API, by another tab, by a webhook's receiver...).
const JOB_MESSAGES = ['op-message', 'op-to-error', 'op-code-error'];
let describedJob: string | null = null;
const versionOf = (job: Job) =>
  JSON.stringify([job.id, job.state, job.history.length, job.updated_at, job.delivery_code_attempts_remaining]);

/** Shows a message of the job page about the job as it is now shown (`state.job`). */
export function sayAboutJob(id: string, text: string, bad = false): void {
  const target = $(id);
  target.textContent = text;
  if (id === 'op-message') target.classList.toggle('bad', bad);
  describedJob = state.job ? versionOf(state.job) : null;
}

/** Called with each job the page shows: messages about an earlier version of it go. */
export function jobShown(job: Job): void {
  if (describedJob === null || describedJob === versionOf(job)) return;
  for (const id of JOB_MESSAGES) $(id).textContent = '';
  describedJob = null;
}

/** Status for actions not tied to a job; the job page has its own. */
export function flash(text: string, bad = false): void {
  if (state.route?.name === 'job') return sayAboutJob('op-message', text, bad);
  const target = $('jobs-count');
  target.textContent = text;
  target.classList.toggle('bad', bad);
}

/**
 * A URL as text that wraps only after its separators (`/`, `.`, `?`, `&`, `:`...), never in the
 * middle of a word, so a narrow screen breaks `https://hooks.example.com/webhooks` as a reader would.
 */
export function urlText(url: string): Array<string | HTMLElement> {
  const out: Array<string | HTMLElement> = [];
  for (const part of url.split(/(?<=[/.?&=:#-])/)) out.push(part, document.createElement('wbr'));
  out.pop();
  return out;
}

export function confirmDialog(title: string, text: string, okLabel: string): Promise<boolean> {
  const dialog = $('confirm', HTMLDialogElement);
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = okLabel;
  const opener = document.activeElement;
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        if (opener instanceof HTMLElement) opener.focus();
        resolve(dialog.returnValue === 'ok');
      },
      { once: true },
    );
    dialog.returnValue = '';
    dialog.showModal();
  });
}
