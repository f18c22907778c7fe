/** The dependency rules that keep the kit honest, checked on the import graph. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  if (!existsSync(join(ROOT, dir))) return [];
  const out: string[] = [];
  const walk = (abs: string) => {
    for (const name of readdirSync(abs)) {
      const path = join(abs, name);
      if (name === 'node_modules') continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.ts$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
    }
  };
  walk(join(ROOT, dir));
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3]);
}

function resolveLocal(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

const rel = (abs: string) => relative(ROOT, abs);
const isTest = (file: string) => /\.test\.ts$/.test(file);

describe('dependency rules', () => {
  it('spec/ imports nothing of ours', () => {
    for (const file of sourceFiles('spec').filter((f) => !isTest(f))) {
      const local = importsOf(file).map((s) => resolveLocal(file, s)).filter((p): p is string => p !== null);
      expect([rel(file), local.filter((p) => !rel(p).startsWith('spec/')).map(rel)]).toEqual([rel(file), []]);
    }
  });

  it('conformance/ and fixtures/ never import from server/', () => {
    for (const file of [...sourceFiles('conformance'), ...sourceFiles('fixtures')].filter((f) => !isTest(f))) {
      const local = importsOf(file).map((s) => resolveLocal(file, s)).filter((p): p is string => p !== null);
      expect([rel(file), local.filter((p) => rel(p).startsWith('server/')).map(rel)]).toEqual([rel(file), []]);
    }
  });

  it('the domain and the outbox never import Express', () => {
    for (const file of [...sourceFiles('server/domain'), ...sourceFiles('server/webhooks')]) {
      expect([rel(file), importsOf(file).filter((s) => s === 'express' || s.startsWith('express/') || s.includes('/http/'))]).toEqual([rel(file), []]);
    }
  });

  it('test-only code is never reachable from `lastmile serve`', () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of importsOf(file)) {
        const target = resolveLocal(file, spec);
        if (target) visit(target);
      }
    };
    visit(join(ROOT, 'server/cli.ts'));
    const reachable = [...seen].map(rel);
    expect(reachable).toContain('server/http/app.ts');
    expect(reachable.filter((p) => p.startsWith('server/testing/') || /\.test\.ts$/.test(p) || p.includes('mutant'))).toEqual([]);
  });
});
