/** `npm test` on a machine without Chromium: install it when possible, else stop at once with the command. */
import { ChromiumMissing, ensureChromium, INSTALL_COMMAND, type ChromiumHost } from './chromium';
import { includesBrowserTests } from './global-setup';

function host(overrides: Partial<ChromiumHost> & { installs?: boolean } = {}): ChromiumHost & { ran: string[] } {
  let installed = false;
  const ran: string[] = [];
  return {
    path: '/usr/bin/chromium',
    exists: () => installed,
    isRoot: () => true,
    hasAptGet: () => true,
    run: (command, args) => { ran.push([command, ...args].join(' ')); if (args[0] === 'install' && overrides.installs !== false) installed = true; return overrides.installs === false && args[0] === 'install' ? 100 : 0; },
    log: () => undefined,
    ...overrides,
    ran,
  };
}

describe('ensureChromium', () => {
  it('does nothing when Chromium is there', () => {
    const h = host({ exists: () => true });
    ensureChromium(h);
    expect(h.ran).toEqual([]);
  });

  it('installs Debian\'s chromium with apt-get when root and apt-get are available', () => {
    const h = host();
    ensureChromium(h);
    expect(h.ran).toEqual(['apt-get update', 'apt-get install -y chromium']);
  });

  it.each([
    ['not root', { isRoot: () => false }],
    ['no apt-get', { hasAptGet: () => false }],
  ])('stops at once with the one command to run when %s', (_label, overrides) => {
    const h = host(overrides);
    expect(() => ensureChromium(h)).toThrow(ChromiumMissing);
    expect(() => ensureChromium(h)).toThrow(INSTALL_COMMAND);
    expect(h.ran).toEqual([]);
  });

  it('says so, with the command, when the install fails', () => {
    const h = host({ installs: false });
    expect(() => ensureChromium(h)).toThrow(/Installing chromium with apt-get failed.*\n\n {2}sudo apt-get update && sudo apt-get install -y chromium/s);
  });
});

describe('which runs need Chromium', () => {
  const patterns = (regex: RegExp | null) => ({ testPathPatterns: { isSet: () => regex !== null, isMatch: (p: string) => regex === null || regex.test(p) } });
  it('every unfiltered run, and a run that selects a browser test', () => {
    expect(includesBrowserTests(patterns(null))).toBe(true);
    expect(includesBrowserTests(patterns(/console/))).toBe(true);
    expect(includesBrowserTests({})).toBe(true);
  });
  it('not a run of other tests only', () => {
    expect(includesBrowserTests(patterns(/fixtures\//))).toBe(false);
  });
  it('reads the filters jest itself passes', () => {
    // jest ships this module as CommonJS only.
    const { TestPathPatterns } = require('@jest/pattern');
    expect(includesBrowserTests({ testPathPatterns: new TestPathPatterns(['fixtures/money']) })).toBe(false);
    expect(includesBrowserTests({ testPathPatterns: new TestPathPatterns(['console.browser']) })).toBe(true);
    expect(includesBrowserTests({ testPathPatterns: new TestPathPatterns([]) })).toBe(true);
  });
});
