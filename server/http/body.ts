/**
 * Reads a JSON request body: refuses what is too large before reading it when the length
 * is announced, and stops reading as soon as it is exceeded otherwise; refuses other media
 * types, invalid UTF-8, a byte-order mark, anything JSON.parse refuses, and values nested
 * deeper than any request needs.
 *
 * Duplicate keys are kept as JSON.parse keeps them: the last one wins. RFC 8259 leaves
 * them to the parser, production's own sample body has one, and refusing them would make
 * the sandbox stricter than the API it stands in for.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors';

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;
/**
 * No request schema nests more than 6 levels deep; unknown fields get room to spare. Deeper
 * values would exhaust the stack of every recursive walk after parsing (JSON.stringify,
 * validation, error reporting), so they are refused here, once, without recursion.
 */
export const MAX_JSON_DEPTH = 64;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export type BodyResult = { present: false } | { present: true; value: unknown };

function mediaTypeOf(header: string | undefined): { type: string; charset?: string } | null {
  if (!header) return null;
  const [type, ...params] = header.split(';');
  const charset = params.map((p) => p.trim()).find((p) => /^charset=/i.test(p));
  return { type: type.trim(), charset: charset?.slice(8).replace(/"/g, '').toLowerCase() };
}

function readRaw(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        req.pause();
        reject(new HttpError('PAYLOAD_TOO_LARGE', `Body larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.on('error', (error) => {
      if (!failed) {
        failed = true;
        reject(new HttpError('MALFORMED_REQUEST', `Body could not be read: ${error.message}`));
      }
    });
  });
}

export async function readJsonBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const announced = req.headers['content-length'];
  if (announced !== undefined && Number(announced) > limit) {
    throw new HttpError('PAYLOAD_TOO_LARGE', `Body larger than ${limit} bytes`);
  }
  const hasBody = (announced !== undefined && Number(announced) > 0) || req.headers['transfer-encoding'] !== undefined;
  const media = mediaTypeOf(req.headers['content-type']);
  if (!hasBody) return { present: false };
  if (!media || !JSON_MEDIA_TYPE.test(media.type)) {
    throw new HttpError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
  }
  if (media.charset && media.charset !== 'utf-8' && media.charset !== 'utf8') {
    throw new HttpError('UNSUPPORTED_MEDIA_TYPE', 'JSON bodies must be UTF-8');
  }
  const raw = await readRaw(req, limit);
  if (raw.length === 0) return { present: false };
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new HttpError('MALFORMED_JSON', 'Body is not valid UTF-8');
  }
  if (text.charCodeAt(0) === 0xfeff)
    throw new HttpError('MALFORMED_JSON', 'Body must not start with a byte-order mark');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : 'parse error';
    throw new HttpError('MALFORMED_JSON', `Body is not valid JSON: ${detail.slice(0, 200)}`);
  }
  if (openingBrackets(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH && depthExceeds(value, MAX_JSON_DEPTH)) {
    const msg = `must not nest arrays and objects more than ${MAX_JSON_DEPTH} levels deep`;
    throw new HttpError('VALIDATION_FAILED', `The request body ${msg}`, {
      errors: [{ location: 'body', param: '', msg }],
    });
  }
  return { present: true, value };
}

/**
 * `[` and `{` in the text, counted up to just past `limit`: nesting can be no deeper than
 * that, so the usual body (a few dozen) skips the walk below altogether.
 */
function openingBrackets(text: string, limit: number): number {
  let count = 0;
  for (let i = 0; i < text.length && count <= limit; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) count += 1;
  }
  return count;
}

/** Whether arrays and objects nest deeper than `max`; iterative, so any depth is safe. */
function depthExceeds(root: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}
