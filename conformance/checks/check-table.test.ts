import { readFileSync } from 'node:fs';
import { CHECKS_MD_PATH, README_PATH, renderCheckTable, renderReadme } from '../../scripts/check-table';
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
});
