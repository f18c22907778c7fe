/** docs/server.md's settings table is the settings table's (server/settings.ts), kept in step by a test. */
import { readFileSync } from 'node:fs';
import { SETTINGS, settingEntries, type AnySetting } from '../server/settings';
import { renderServerDoc, renderSettingsTable, SERVER_DOC_PATH } from './settings-table';

describe('the settings table in docs/server.md', () => {
  it('is what server/settings.ts generates now (run npm run docs:settings after changing a setting)', () => {
    const doc = readFileSync(SERVER_DOC_PATH, 'utf8');
    expect(doc).toBe(renderServerDoc(doc));
  });

  it('names every flag and environment variable once', () => {
    const table = renderSettingsTable();
    for (const [, entry] of settingEntries()) {
      expect(table.split(`\`${entry.env}\``).length).toBe(2);
      expect(table).toContain(`\`${entry.flag.split(' ')[0]}`);
    }
  });

  it('changes when a setting is added, so a stale document is caught', () => {
    const extra: AnySetting = {
      flag: '--extra <n>',
      env: 'LASTMILE_EXTRA',
      default: 1,
      parse: Number,
      help: 'an extra | with a pipe',
    };
    const more = [...settingEntries(), ['port', extra] as ['port', AnySetting]];
    expect(renderSettingsTable(more)).not.toBe(renderSettingsTable());
    expect(renderSettingsTable(more)).toContain('an extra \\| with a pipe');
    expect(() => renderServerDoc('no markers here')).toThrow(/markers/);
  });

  it('shows the switches with their --no- form when they have one', () => {
    expect(SETTINGS.webhookAllowPrivate.negation).toBeDefined();
    expect(renderSettingsTable()).toContain('`--webhook-allow-private [bool]`, `--no-webhook-allow-private`');
  });
});
