#!/usr/bin/env node
'use strict';
/**
 * `npm test`'s static checks (the spec's lint, the type check, ESLint, Prettier), run at once
 * rather than one after another: each is one process, mostly on one core, and together they
 * took about a minute in turn. Each one's output is printed whole, in the order below, once it
 * ends; the exit status is 1 when any failed.
 */
const { spawn } = require('node:child_process');

const CHECKS = ['spec:lint', 'typecheck', 'lint', 'format:check'];
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(script) {
  return new Promise((resolve) => {
    const child = spawn(npm, ['run', '-s', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    child.on('error', (error) => resolve({ script, code: 1, output: `${error.message}\n` }));
    child.on('close', (code) => resolve({ script, code: code ?? 1, output: Buffer.concat(chunks).toString('utf8') }));
  });
}

async function main() {
  const started = Date.now();
  const results = await Promise.all(CHECKS.map(run));
  for (const { script, code, output } of results) {
    process.stdout.write(`> ${script}: ${code === 0 ? 'passed' : `FAILED (exit ${code})`}\n`);
    if (output.trim() !== '') process.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
  }
  const failed = results.filter((r) => r.code !== 0).map((r) => r.script);
  process.stdout.write(
    `${failed.length === 0 ? 'static checks passed' : `static checks failed: ${failed.join(', ')}`} ` +
      `(${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
  );
  process.exit(failed.length === 0 ? 0 : 1);
}

void main();
