/**
 * Test-only: HTTP below fetch. Paths go out exactly as written (no `..` folding, no
 * re-encoding), any bytes can be sent, and every answer is checked against the spec's
 * envelope like the harness does.
 */
import http from 'node:http';
import net from 'node:net';
import { findOperation, validateResponse, validateSchema } from '../../spec/contract';

export interface RawResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: any;
}

export function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string | number> = {},
  body?: string | Buffer,
): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = text === '' ? undefined : JSON.parse(text);
        } catch {
          parsed = text;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Writes bytes on a fresh socket and collects what comes back until the server closes it. */
export function rawExchange(
  port: number,
  data: string | Buffer,
  timeoutMs = 3000,
): Promise<{ text: string; closedByServer: boolean; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closedByServer, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (d: Buffer) => {
      text += d.toString('utf8');
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.write(data);
  });
}

/** Status and JSON body of a raw HTTP/1.1 response text. */
export function parseRawResponse(text: string): { status: number; headers: string; body: any } {
  const [head, ...rest] = text.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  const payload = rest.join('\r\n\r\n');
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    body = undefined;
  }
  return { status, headers: head, body };
}

/**
 * The answer is the contract's: a documented status with a valid body for the operation
 * (the error envelope for errors), or the envelope when no operation matches. Returns the
 * problems, empty when none.
 */
export function envelopeProblems(method: string, path: string, status: number, body: unknown): string[] {
  const problems: string[] = [];
  if (status >= 500) problems.push(`status ${status}`);
  const op = findOperation(method, path);
  // Refusals before routing (a path that is not valid percent-encoding, oversized headers)
  // are not an operation's answer: only the envelope applies.
  const beforeRouting = (status === 400 && (body as { code?: string })?.code === 'MALFORMED_REQUEST') || status === 431;
  const result = op && !beforeRouting ? validateResponse(op.operationId, status, body) : validateSchema('Error', body);
  if (!result.ok) problems.push(JSON.stringify(result.errors).slice(0, 500));
  return problems;
}
