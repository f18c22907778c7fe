/**
 * Reads a JSON request body: refuses what is too large before reading it when the length
 * is announced, and stops reading as soon as it is exceeded otherwise; refuses other media
 * types, invalid UTF-8, a byte-order mark, and anything JSON.parse refuses.
 */
import type { IncomingMessage } from 'node:http';
import { DomainError } from '../domain/errors';

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;
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
        reject(new DomainError('PAYLOAD_TOO_LARGE', `Body larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => { if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)); });
    req.on('error', (error) => { if (!failed) { failed = true; reject(new DomainError('MALFORMED_REQUEST', `Body could not be read: ${error.message}`)); } });
  });
}

export async function readJsonBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const announced = req.headers['content-length'];
  if (announced !== undefined && Number(announced) > limit) {
    throw new DomainError('PAYLOAD_TOO_LARGE', `Body larger than ${limit} bytes`);
  }
  const hasBody = (announced !== undefined && Number(announced) > 0) || req.headers['transfer-encoding'] !== undefined;
  const media = mediaTypeOf(req.headers['content-type']);
  if (!hasBody) return { present: false };
  if (!media || !JSON_MEDIA_TYPE.test(media.type)) {
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
  }
  if (media.charset && media.charset !== 'utf-8' && media.charset !== 'utf8') {
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'JSON bodies must be UTF-8');
  }
  const raw = await readRaw(req, limit);
  if (raw.length === 0) return { present: false };
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new DomainError('MALFORMED_JSON', 'Body is not valid UTF-8');
  }
  if (text.charCodeAt(0) === 0xfeff) throw new DomainError('MALFORMED_JSON', 'Body must not start with a byte-order mark');
  try {
    return { present: true, value: JSON.parse(text) };
  } catch (error) {
    const detail = error instanceof Error ? error.message : 'parse error';
    throw new DomainError('MALFORMED_JSON', `Body is not valid JSON: ${detail.slice(0, 200)}`);
  }
}
