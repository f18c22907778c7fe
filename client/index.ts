/**
 * A typed client for the jobs API, for integrators: openapi-fetch on the types generated from
 * spec/openapi.yaml. Every path, body and answer is typed per status, so the same client works
 * against a sandbox (startSandbox, `lastmile serve`) and against production.
 */
import createFetchClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from '../spec/types.gen';

export type { components, operations, paths };
/** The spec's schemas by name: `Schemas['Job']`, `Schemas['CreateJobRequest']`. */
export type Schemas = components['schemas'];
export type JobsClient = Client<paths>;

export interface CreateClientOptions extends Omit<ClientOptions, 'baseUrl' | 'headers'> {
  /** Where the API is served, e.g. a sandbox's `url`: `http://127.0.0.1:4000`. */
  baseUrl: string;
  /** Sent as `x-api-key` on every call. */
  apiKey: string;
  /** Sent on every call besides `x-api-key`. */
  headers?: Record<string, string>;
}

export function createClient({ baseUrl, apiKey, headers, ...rest }: CreateClientOptions): JobsClient {
  if (!baseUrl) throw new TypeError('createClient: baseUrl is required');
  if (!apiKey) throw new TypeError('createClient: apiKey is required');
  return createFetchClient<paths>({
    ...rest,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    headers: { ...headers, 'x-api-key': apiKey },
  });
}
