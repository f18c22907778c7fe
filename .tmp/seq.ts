import { statefulMutants } from '/work/wt/i17/test/mutants/stateful';
import { Session } from '/work/wt/i17/conformance/explore/session';
import { perform, describeStep, type Step } from '/work/wt/i17/conformance/explore/commands';
import { WebhookReceiver } from '/work/wt/i17/conformance/receiver';
(async () => {
  const m = statefulMutants.find((x) => x.id === process.argv[2])!;
  const server = await m.start();
  const receiver = new WebhookReceiver(); await receiver.start({ host: '127.0.0.1', port: 0 });
  const session = new Session({ baseUrl: server.url, keys: ['k' + Date.now()], shared: false, timeoutMs: 3000, webhookWaitMs: 750, receiver, coverage: new Set() });
  await session.open();
  const steps: Step[] = JSON.parse(process.argv[3]);
  try {
    for (const s of steps) { session.begin(describeStep(s)); await perform(s, session.model, session); console.log('ok', describeStep(s)); }
    await session.settle(session.model.tenants[0]);
    console.log('survived');
  } catch (e: any) { console.log('KILLED', e.message, JSON.stringify(e.expected), JSON.stringify(e.received)?.slice(0, 300)); }
  await receiver.close(); await server.close();
})();
