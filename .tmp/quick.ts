import { statefulMutants } from '/work/wt/i17/test/mutants/stateful';
import { runConformance } from '/work/wt/i17/conformance';
(async () => {
  for (const m of statefulMutants.filter((x) => !process.argv[2] || x.id === process.argv[2])) {
    const server = await m.start();
    const cat = { checks: [] as any[] };
    const t0 = Date.now();
    const run = await runConformance({ baseUrl: server.url, apiKey: 'x', only: ['SANDBOX-HEALTH'], explore: true, exploreRuns: Number(process.env.RUNS), seed: Number(process.env.SEED ?? 1), timeoutMs: 3000 });
    const ex = run.checks.find((c) => c.id === 'EXPLORE')!;
    console.log(m.id, 'catalogue failed:', cat.checks.filter((c) => c.status === 'failed').map((c) => c.id).join(',') || 'none', '| explore', ex.status, Date.now() - t0, 'ms', JSON.stringify({ ...ex.explore, script: undefined, steps: ex.explore?.steps?.map((s) => s.step) , expected: undefined, received: undefined}));
    if (ex.failures[0]) console.log('   ', ex.failures[0].message.split('\n')[0]);
    await server.close();
  }
})();
