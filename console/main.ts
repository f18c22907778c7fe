/**
 * The sandbox console. Everything it shows comes from the public API (with the x-api-key
 * header) and is put in the page as text only.
 */
import { whenKeyRefused } from './api';
import { wireDeliveries } from './deliveries';
import { refreshFaults, wireFaults } from './faults';
import { $, clearWhenEdited, form, input } from './dom';
import { wireJobPage } from './job-page';
import { wireJobsList } from './jobs-list';
import { refreshCurrent, render } from './router';
import { openTenant, signOut, storedKey } from './session';
import { state } from './state';
import { refreshClock, refreshEndpoints, tickClock, wireTenantBar } from './tenant-bar';

function showTenant(): void {
  render();
  void refreshClock();
  void refreshEndpoints();
  void refreshFaults();
}

whenKeyRefused(signOut);
wireTenantBar(refreshCurrent);
wireJobsList();
wireJobPage();
wireDeliveries();
wireFaults();
$('sign-out').addEventListener('click', () => signOut(''));
clearWhenEdited('key-form', 'key-error');

form('key-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const key = input('api-key').value.trim();
  $('key-error').textContent = '';
  try {
    await openTenant(key, input('remember').checked);
    input('api-key').value = '';
    showTenant();
  } catch (error) {
    $('key-error').textContent = error instanceof Error ? error.message : String(error);
  }
});

window.addEventListener('hashchange', render);
setInterval(() => {
  if (state.key) tickClock();
}, 1000);

const saved = storedKey();
if (saved)
  openTenant(saved, false).then(showTenant, (error: unknown) =>
    signOut(error instanceof Error ? error.message : String(error)),
  );
else render();
// A module, though it exports nothing: esbuild reads an export-free file of a CommonJS package
// as CommonJS, and would wrap every module it imports in a lazy initialiser.
export {};
