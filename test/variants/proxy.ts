/**
 * A correct implementation that makes other choices: the reference server behind a proxy
 * that uses the freedoms of test/variants/rewrite.ts on every answer, and on every webhook
 * (the proxy registers itself as each endpoint, rewrites the event, signs it again with
 * the endpoint's secret and passes it on). Test-only: never reachable from `lastmile serve`.
 */
import { createHmac } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { findOperation } from '../../spec/contract';
import { startServer, type StartOptions } from '../../server/main';
import type { ServerConfig } from '../../server/config';
import { parseWebhookUrl } from '../../server/webhooks/url-policy';
import { forwardable, readAll } from '../mutants/tools';
import { IdMap, Rewriter, type Freedom, type Usage } from './rewrite';

export interface RunningVariant {
  url: string;
  usage: Usage;
  close(): Promise<void>;
}

interface Relay {
  target: string;
  secret?: string;
}

const RELAY_PREFIX = '/__variant-webhooks/';

function parse(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Only a URL the server could accept is swapped for a relay; any other goes through as sent, to be refused. */
function relayable(url: string): boolean {
  try {
    parseWebhookUrl(url);
    return true;
  } catch {
    return false;
  }
}

function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method, headers: { ...headers, 'content-length': String(body.length) } },
      async (response) => {
        resolve({ status: response.statusCode ?? 502, headers: response.headers, body: await readAll(response) });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** The reference server on a free port (with `settings` and `options`), and the variant proxy in front of it. */
export async function startVariant(
  freedoms: Freedom[],
  settings: Partial<ServerConfig> = {},
  options: StartOptions = {},
): Promise<RunningVariant> {
  const upstream = await startServer({ ...settings, port: 0, host: '127.0.0.1' }, options);
  const rewriter = new Rewriter(new Set(freedoms), new IdMap());
  const ids = rewriter.ids;
  const relays: Relay[] = [];
  /** The headers each attempt reached its receiver with, by the server's own signature of it. */
  const sentHeaders = new Map<string, Record<string, string>>();
  let selfUrl = '';

  const relayWebhook = async (
    index: number,
    headers: IncomingHttpHeaders,
    raw: Buffer,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> => {
    const relay = relays[index];
    const event = rewriter.body(parse(raw.toString('utf8')), '#/components/schemas/WebhookEvent') as {
      id: string;
      created_at: string;
      type: string;
    };
    const text = JSON.stringify(event);
    const secret = relay.secret ?? '';
    const timestamp = new Date(Number(headers['webhook-timestamp']) * 1000);
    const out: Record<string, string> = {
      'content-type': 'application/json',
      'webhook-id': event.id,
      'webhook-timestamp': String(headers['webhook-timestamp']),
      'webhook-signature': new Webhook(secret).sign(event.id, timestamp, text),
      'InstaLeap-Signature': createHmac('sha256', secret)
        .update(`${event.id}&${event.created_at}&${event.type}`)
        .digest('hex'),
    };
    if (rewriter.uses('undeclared-fields')) out['x-variant-note'] = 'added by the variant proxy';
    sentHeaders.set(String(headers['webhook-signature']), out);
    const answer = await send(relay.target, 'POST', out, Buffer.from(text));
    return answer;
  };

  /** A delivery log's attempts as this implementation sent them: with the headers the proxy signed. */
  const asSent = (key: string, value: unknown): unknown => {
    if (key !== 'request_headers' || typeof value !== 'object' || value === null) return value;
    const upstreamSignature = (value as Record<string, string>)['webhook-signature'];
    return sentHeaders.get(upstreamSignature) ?? value;
  };

  const proxy = http.createServer(async (req, res) => {
    try {
      const raw = await readAll(req);
      const incoming = new URL(req.url ?? '/', 'http://variant');
      if (incoming.pathname.startsWith(RELAY_PREFIX)) {
        const answer = await relayWebhook(Number(incoming.pathname.slice(RELAY_PREFIX.length)), req.headers, raw);
        res.writeHead(answer.status, forwardable(answer.headers)).end(answer.body);
        return;
      }
      const method = req.method ?? 'GET';
      // Aliases back to the server's ids: in path segments, query values and the body.
      const path = rewriter.uses('opaque-ids')
        ? incoming.pathname
            .split('/')
            .map((segment) => encodeURIComponent(ids.original(decodeURIComponent(segment))))
            .join('/')
        : incoming.pathname;
      const query = new URLSearchParams();
      for (const [name, value] of incoming.searchParams)
        query.append(name, rewriter.uses('opaque-ids') ? ids.original(value) : value);
      let body = raw;
      const json = parse(raw.toString('utf8'));
      const operation = findOperation(method, path);
      let registering: Relay | undefined;
      if (json !== undefined && typeof json === 'object' && json !== null) {
        const request = rewriter.uses('opaque-ids') ? ids.unmapDeep(json) : json;
        if (
          operation?.operationId === 'createWebhookEndpoint' &&
          typeof request.url === 'string' &&
          relayable(request.url)
        ) {
          registering = { target: request.url, secret: request.secret };
          relays.push(registering);
          request.url = `${selfUrl}${RELAY_PREFIX}${relays.length - 1}`;
        }
        body = Buffer.from(JSON.stringify(request));
      }
      const qs = query.toString();
      const answer = await send(
        `${upstream.url}${path}${qs ? `?${qs}` : ''}`,
        method,
        forwardable(req.headers),
        raw.length === 0 ? raw : body,
      );
      const headers = forwardable(answer.headers);
      let text = answer.body.toString('utf8');
      const pointer = operation?.responses[String(answer.status)];
      const parsed = parse(text);
      if (pointer && parsed !== undefined) {
        if (registering && typeof (parsed as Relay).secret === 'string') registering.secret = (parsed as Relay).secret;
        const relayed = new Map(relays.map((r, i) => [`${selfUrl}${RELAY_PREFIX}${i}`, r.target]));
        text = JSON.stringify(rewriter.body(parsed, pointer), (key, value: unknown) =>
          typeof value === 'string' && relayed.has(value) ? relayed.get(value) : asSent(key, value),
        );
      }
      if (headers.location && rewriter.uses('opaque-ids')) {
        headers.location = headers.location.replace(/[^/]+$/, (id) =>
          encodeURIComponent(ids.alias(decodeURIComponent(id))),
        );
      }
      if (rewriter.uses('undeclared-fields')) headers['x-variant-note'] = 'added by the variant proxy';
      res.writeHead(answer.status, { ...headers, 'content-length': String(Buffer.byteLength(text)) }).end(text);
    } catch (error) {
      res.writeHead(502, { 'content-type': 'text/plain' }).end(String(error));
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  selfUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  return {
    url: selfUrl,
    usage: rewriter.usage,
    async close() {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await upstream.close();
    },
  };
}
