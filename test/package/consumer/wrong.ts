// Deliberate mistakes: tsc must refuse each line marked WRONG, and nothing else.
import { createClient } from 'lastmile-kit';

const client = createClient({ baseUrl: 'http://127.0.0.1:4000', apiKey: 'sandbox-key' });
export const noSuchPath = client.GET('/jobz'); // WRONG: a path the API does not have
export const badBody = client.POST('/sandbox/clock/advance', { body: { seconds: '16 minutes' } }); // WRONG: seconds is a number
export const fine = client.POST('/sandbox/clock/advance', { body: { seconds: 960 } });
