/** Before any test: make sure the browser tests can run, when this run includes them. */
import { join } from 'node:path';
import { ensureChromium, realHost } from './chromium';

const ROOT = join(__dirname, '..');
export const BROWSER_TESTS = ['server/console/console.browser.test.ts', 'server/http/docs.browser.test.ts'].map((p) => join(ROOT, p));

interface PathFilter { isSet?(): boolean; isMatch?(path: string): boolean }
interface SelectedPaths { rootDir?: string; testPathPatterns?: PathFilter & { toExecutor?(options: { rootDir: string }): PathFilter } }

/** Whether a jest run with these path filters includes a browser test (every run without filters does). */
export function includesBrowserTests(config: SelectedPaths): boolean {
  const patterns = config.testPathPatterns;
  if (!patterns?.isSet?.()) return true;
  const filter = typeof patterns.toExecutor === 'function' ? patterns.toExecutor({ rootDir: config.rootDir ?? ROOT }) : patterns;
  if (typeof filter.isMatch !== 'function') return true;
  return BROWSER_TESTS.some((path) => filter.isMatch!(path));
}

export default function globalSetup(globalConfig: SelectedPaths): void {
  if (includesBrowserTests(globalConfig)) ensureChromium(realHost);
}
