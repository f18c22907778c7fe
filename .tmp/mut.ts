import { mutants } from '/work/wt/i17/test/mutants/catalogue';
import { runConformance } from '/work/wt/i17/conformance';
(async () => {
  const m = mutants.find((x) => x.id === process.argv[2])!;
  const server = await m.start();
  const t0 = Date.now();
  const run = await runConformance({ baseUrl: server.url, apiKey: 'x', only: ['SANDBOX-HEALTH'], explore: true, exploreRuns: Number(process.argv[3] ?? 100), seed: 1, timeoutMs: 3000 });
  const ex = run.checks.find((c) => c.id === 'EXPLORE')!;
  console.log(ex.status, Date.now() - t0, 'ms', JSON.stringify(ex.explore && { ...ex.explore, script: undefined, steps: undefined }));
  for (const f of ex.failures) console.log(f.message, '\nEXPECTED', JSON.stringify(f.expected), '\nRECEIVED', JSON.stringify(f.received).slice(0, 800));
  if (process.argv[4]) console.log(ex.explore?.script);
  await server.close();
})();
