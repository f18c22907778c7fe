/**
 * What `yaml` resolves to under jest (jest.config.js, moduleNameMapper): the package itself,
 * except that `parse` of a large text keeps its result in a file named by the text's hash.
 *
 * jest gives each test file fresh modules, so every file that imports the contract parsed
 * spec/openapi.yaml again (over half a second of CPU, in most of the suites); the build
 * spares the package that with dist/spec/openapi.parsed.json, the tests read the sources.
 * A result is kept only when JSON gives back exactly what `parse` returned, and is found
 * only by the same text: an edited spec is parsed afresh.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

type Yaml = typeof import('yaml');

/** Smaller texts parse faster than a file is read. */
const CACHED_FROM_CHARS = 16_384;
const CACHE_DIR = join(tmpdir(), 'lastmile-test-yaml');

// By path: the package name leads back here.
const real: Yaml = require(join(dirname(require.resolve('yaml/package.json')), 'dist', 'index.js'));

/** `parse(text)` alone is kept; with options or a reviver, the package's own. */
function parse(...args: Parameters<Yaml['parse']>): ReturnType<Yaml['parse']> {
  const [text, ...more] = args;
  if (more.length > 0 || typeof text !== 'string' || text.length < CACHED_FROM_CHARS) return real.parse(...args);
  const file = join(CACHE_DIR, `${createHash('sha256').update(text).digest('hex')}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // Not kept yet (or half written by a run that died): parse it.
  }
  const value: unknown = real.parse(text);
  const json = JSON.stringify(value);
  if (json !== undefined && isDeepStrictEqual(JSON.parse(json), value)) {
    mkdirSync(CACHE_DIR, { recursive: true });
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, json);
    renameSync(partial, file);
  }
  return value;
}

module.exports = { ...real, parse };
