import { statefulMutants } from '/work/wt/i17/test/mutants/stateful';
import { runConformance } from '/work/wt/i17/conformance';
import { formatCheckLine, formatClosing } from '/work/wt/i17/conformance/reporters/console';
(async () => {
  const m = statefulMutants.find((x) => x.id === process.argv[2])!;
  const server = await m.start();
  const run = await runConformance({ baseUrl: server.url, apiKey: 'demo', explore: true, timeoutMs: 3000, onResult: (r) => { if (r.id === 'EXPLORE' || r.status !== 'passed') console.log(formatCheckLine(r)); } });
  console.log(formatClosing(run));
  console.log(run.checks.find((c) => c.id === 'EXPLORE')!.explore!.script);
  await server.close();
})();
