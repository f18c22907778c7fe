/** After every test: stop what test/global-setup.ts started (the shared Redis Cluster). */
import { running } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const cluster = running.sharedCluster;
  running.sharedCluster = undefined;
  await cluster?.stop();
}
