// The same declarations seen from an ECMAScript module (type-checked, never run).
import { createClient, startSandbox } from 'lastmile-kit';
import { runConformance } from 'lastmile-kit/conformance';

const sandbox = await startSandbox({ logLevel: 'silent' });
const client = createClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey });
const clock = await client.GET('/sandbox/clock');
export const frozen: boolean | undefined = clock.data?.frozen;
export const failed: number = (await runConformance({ baseUrl: sandbox.url, apiKey: sandbox.apiKey })).summary.failed;
await sandbox.close();
