import { readFileSync } from 'node:fs';
import { operations } from '../../spec/contract';
import {
  CHECKS_MD_PATH,
  coverageSentence,
  declaredCoverage,
  README_PATH,
  renderCheckTable,
  renderReadme,
} from '../../scripts/check-table';
import { catalogue } from './catalogue';

describe('conformance/CHECKS.md', () => {
  it('is what the catalogue generates now (run npm run conformance:table after changing a check)', () => {
    expect(readFileSync(CHECKS_MD_PATH, 'utf8')).toBe(renderCheckTable());
  });
  it('is also the table in README.md', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    expect(readme).toBe(renderReadme(readme));
    for (const check of catalogue) expect(readme).toContain(`| \`${check.id}\` |`);
  });
  it('lists every check id once', () => {
    const table = renderCheckTable();
    for (const check of catalogue) expect(table.split(`| \`${check.id}\` |`).length).toBe(2);
  });
  it('changes when a check is added, so a stale file is caught', () => {
    const extra = {
      id: 'EXTRA-CHECK',
      title: 'extra | with a pipe',
      category: 'x',
      level: 'contract' as const,
      operations: ['getJob' as const],
      statuses: { getJob: [200 as const] },
      run: async () => undefined,
    };
    expect(renderCheckTable([...catalogue, extra])).not.toBe(renderCheckTable());
    expect(renderCheckTable([extra])).toContain('extra \\| with a pipe');
  });
  it('says what the catalogue covers from the statuses its checks declare, every status not exercised named, 503 included', () => {
    const coverage = declaredCoverage();
    const documented = operations.flatMap((op) => Object.keys(op.responses).map((s) => `${op.operationId} ${s}`));
    const missing = coverage.statuses.flatMap((s) => s.missingOn.map((op) => `${op} ${s.status}`));
    expect(coverage.documented).toBe(documented.length);
    expect(coverage.exercised).toBe(documented.length - missing.length);
    expect(missing).toContain('getJob 503');
    const sentence = coverageSentence(coverage);
    for (const s of coverage.statuses.filter((s) => s.missingOn.length > 0))
      expect(sentence).toMatch(new RegExp(`(: |; )${s.status} `));
    expect(renderCheckTable()).toContain(`**${coverage.exercised} of ${coverage.documented}**`);
    expect(readFileSync(README_PATH, 'utf8')).toContain(sentence);

    const readiness = {
      id: 'READY-CHECK',
      title: 'ready',
      category: 'x',
      level: 'sandbox' as const,
      operations: ['getReadiness' as const],
      statuses: { getReadiness: [200 as const] },
      run: async () => undefined,
    };
    const more = declaredCoverage([...catalogue, readiness]);
    expect(more.exercised).toBe(coverage.exercised + 1);
    expect(more.statuses.find((s) => s.status === '200')!.missingOn).not.toContain('getReadiness');
  });
});
