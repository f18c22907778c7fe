import type { IncomingMessage } from 'node:http';

const MAX_API_KEY_LENGTH = 512;

/**
 * The tenant key a request carries in `x-api-key`, or null when it carries none the server
 * accepts: empty, absurdly long, or (with `--api-keys`) not one of the listed keys. The API
 * and the console's stream tickets share this one rule.
 */
export function apiKeyOf(req: IncomingMessage, apiKeys: ReadonlySet<string> | null): string | null {
  const header = req.headers['x-api-key'];
  const key = typeof header === 'string' ? header.trim() : '';
  if (key === '' || key.length > MAX_API_KEY_LENGTH || (apiKeys !== null && !apiKeys.has(key))) return null;
  return key;
}
