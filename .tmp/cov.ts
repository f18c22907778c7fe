import { startServer } from '/work/wt/i17/server/main';
import { runConformance } from '/work/wt/i17/conformance';
import { missingPairs } from '/work/wt/i17/conformance/explore/coverage';
(async () => {
  const server = await startServer({ port: 0, host: '127.0.0.1', logLevel: 'silent' } as any);
  const t0 = Date.now();
  const run = await runConformance({ baseUrl: server.url, apiKey: 'x', explore: process.argv[2] !== 'no' });
  console.log(run.summary, Date.now() - t0, 'ms', run.coverage!.exercised, '/', run.coverage!.documented);
  console.log(run.checks.filter((c) => c.status === 'failed').map((c) => c.id + ': ' + c.failures[0].message.slice(0, 500)));
  console.log(missingPairs(run.coverage!).join('\n'));
  await server.close();
})();
