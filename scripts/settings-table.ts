/**
 * Writes the table of `lastmile serve` settings in docs/server.md (between its markers) from the
 * settings table itself (server/settings.ts); scripts/settings-table.test.ts fails while it is stale.
 * `npm run docs:settings`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flagName, settingEntries, shownDefault, type AnySetting, type SettingName } from '../server/settings';

export const SERVER_DOC_PATH = join(__dirname, '..', 'docs', 'server.md');
const BEGIN = '<!-- settings:begin (generated from server/settings.ts by `npm run docs:settings`) -->';
const END = '<!-- settings:end -->';

const cell = (text: string) => text.replaceAll('|', '\\|');

function flagCell(entry: AnySetting): string {
  const flag = entry.switch ? `${flagName(entry)} [bool]` : entry.flag;
  return entry.negation ? `\`${flag}\`, \`--no-${flagName(entry).slice(2)}\`` : `\`${flag}\``;
}

function helpCell(entry: AnySetting): string {
  const switched = entry.switch ? ' (true or false; the flag alone: true)' : '';
  const negated = entry.negation ? `; \`--no-${flagName(entry).slice(2)}\`: ${entry.negation}` : '';
  return cell(`${entry.help}${switched}${negated}`);
}

/** The markdown table of every setting, in the table's order. */
export function renderSettingsTable(entries: Array<[SettingName, AnySetting]> = settingEntries()): string {
  return [
    '| Flag | Environment variable | Default | What it sets |',
    '|---|---|---|---|',
    ...entries.map(
      ([, entry]) =>
        `| ${flagCell(entry)} | \`${entry.env}\` | ${entry.default === null ? cell(shownDefault(entry)) : `\`${shownDefault(entry)}\``} | ${helpCell(entry)} |`,
    ),
  ].join('\n');
}

/** The document with its settings table (between the markers) regenerated. */
export function renderServerDoc(doc: string, table: string = renderSettingsTable()): string {
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`docs/server.md lacks the markers ${BEGIN} … ${END}`);
  return `${doc.slice(0, begin + BEGIN.length)}\n${table}\n${doc.slice(end)}`;
}

if (require.main === module) {
  writeFileSync(SERVER_DOC_PATH, renderServerDoc(readFileSync(SERVER_DOC_PATH, 'utf8')));
  process.stdout.write(`wrote the settings table in ${SERVER_DOC_PATH}\n`);
}
