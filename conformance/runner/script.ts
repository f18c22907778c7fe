/**
 * A failing sequence as a shell script of curl calls that anyone can run again: ids the
 * implementation handed out are captured from earlier answers into variables, keys and the
 * base URL are variables too. Needs only sh, curl and node. The exploration's minimal
 * sequences and every failed catalogue check are replayed this way.
 */
import { errorCode } from '../../client/api';
import { shellQuote } from '../../client/curl';
import type { Exchange } from '../../client/exchange';

/** A numbered step of a sequence and the calls it made. */
export interface ReplayStep {
  n: number;
  step: string;
  exchanges: Exchange[];
}

export interface ReplayOptions {
  baseUrl: string;
  /** The keys the calls carried, in the order of the variables KEY, KEY2, ... */
  keys: string[];
  title: string;
  /** What the script replays, in a comment under the title. */
  about?: string;
  /**
   * Which keys' variables default to the key the run used (a tenant the user named, a key the
   * implementation refuses) instead of a fresh one (a fresh tenant where any key opens one):
   * all, none, or per key.
   */
  sameKeys?: boolean | readonly boolean[];
  /** Fresh keys are `${freshKeyPrefix}-<pid>-<n>`. */
  freshKeyPrefix?: string;
}

/** Every string in a JSON value with its path, for capturing ids. */
function strings(value: unknown, path: string, out: Array<{ path: string; value: string }>): void {
  if (typeof value === 'string') out.push({ path, value });
  else if (Array.isArray(value)) value.forEach((v, i) => strings(v, `${path}[${i}]`, out));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) strings(v, `${path}.${k}`, out);
}

/** Ids are long and carry a digit; enum values such as AVAILABLE are left as they are. */
const ID_LIKE = /^(?=.*[0-9])[A-Za-z0-9_-]{8,}$/;

export function replayScript(steps: ReplayStep[], options: ReplayOptions): string {
  const exchanges: Array<{ step: ReplayStep; exchange: Exchange }> = steps.flatMap((step) =>
    step.exchanges.map((exchange) => ({ step, exchange })),
  );
  const sent = exchanges.map(
    ({ exchange: e }) => `${e.request.url}\n${e.request.body ?? ''}\n${Object.values(e.request.headers).join('\n')}`,
  );
  /** Whether a request after the `from`th carries `value`. */
  const usedLater = (from: number, value: string) => sent.some((text, i) => i > from && text.includes(value));
  const variables: Array<{ name: string; value: string }> = [
    { name: 'LASTMILE', value: options.baseUrl.replace(/\/+$/, '') },
    ...options.keys.map((key, i) => ({ name: i === 0 ? 'KEY' : `KEY${i + 1}`, value: key })),
  ];
  const substitute = (text: string) => variables.reduce((acc, v) => acc.split(v.value).join(`'"$${v.name}"'`), text);
  const same = (i: number) =>
    Array.isArray(options.sameKeys) ? options.sameKeys[i] === true : options.sameKeys === true;
  const lines = [
    '#!/bin/sh',
    `# ${options.title}`,
    `# ${options.about ?? 'Replays the minimal failing sequence.'} ${
      options.keys.every((_k, i) => same(i))
        ? 'Its keys are those the run used; set KEY (KEY2, ...) to act as others.'
        : 'Fresh keys open fresh tenants on implementations that accept any key.'
    }`,
    'set -u',
    `LASTMILE=\${LASTMILE:-${options.baseUrl.replace(/\/+$/, '')}}`,
    ...options.keys.map((key, i) => {
      const name = i === 0 ? 'KEY' : `KEY${i + 1}`;
      return `${name}=\${${name}:-${same(i) ? shellQuote(key) : `${options.freshKeyPrefix ?? 'explore-replay'}-$$-${i + 1}`}}`;
    }),
    'OUT=$(mktemp -d)',
    `json() { node -e 'const v=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); const r=new Function("v","return v"+process.argv[2])(v); process.stdout.write(String(r))' "$1" "$2"; }`,
    '',
  ];
  let shownStep = -1;
  exchanges.forEach(({ step, exchange }, i) => {
    if (step.n !== shownStep) {
      lines.push(`# ${step.n}. ${step.step}`);
      shownStep = step.n;
    }
    const { request } = exchange;
    const parts = [
      'curl',
      '-sS',
      '-o',
      `"$OUT/${i}.json"`,
      '-w',
      `'${exchange.operationId} %{http_code}\\n'`,
      '-X',
      request.method,
      substitute(shellQuote(request.url)),
    ];
    // curl drops a header written `name:`; `name;` is how it sends one with an empty value.
    for (const [name, value] of Object.entries(request.headers))
      parts.push('-H', substitute(shellQuote(value === '' ? `${name};` : `${name}: ${value}`)));
    if (request.body !== undefined) parts.push('--data-binary', substitute(shellQuote(request.body)));
    const code = errorCode(exchange.response?.json);
    const got = exchange.response ? ` (the run got ${exchange.response.status}${code ? ` ${code}` : ''})` : '';
    lines.push(`${parts.join(' ')}${got ? `   #${got}` : ''}`);
    const found: Array<{ path: string; value: string }> = [];
    strings(exchange.response?.json, '', found);
    for (const { path, value } of found) {
      if (!ID_LIKE.test(value) || variables.some((v) => v.value === value) || !usedLater(i, value)) continue;
      const name = `V${variables.length - options.keys.length}`;
      lines.push(`${name}=$(json "$OUT/${i}.json" ${shellQuote(path)})`);
      variables.push({ name, value });
    }
  });
  lines.push('', 'echo "answers kept in $OUT"', '');
  return lines.join('\n');
}
