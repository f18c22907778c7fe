/**
 * A relay endpoint's stream (`GET /sandbox/webhook-relays/{endpoint_id}/stream`), as
 * server-sent events: `ready`, then one `delivery` per relayed attempt, and a keep-alive
 * comment that also tells the store the holder is still there. When the connection closes,
 * or another stream takes the relay over, this one lets go.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Outbox } from '../webhooks/outbox';

export function relayStream(
  outbox: Outbox,
  key: string,
  endpointId: string,
  holder: string,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const requestId = req.requestId;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      ...(requestId === undefined ? {} : { 'x-request-id': requestId }),
    });
    // An event stream is not a request in progress: the server's request timeout must not cut it.
    req.socket.setTimeout(0);
    req.socket.setKeepAlive(true);
    let ended = false;
    const detach = outbox.relays.attach(holder, {
      deliver: (delivery) => {
        if (!ended) res.write(`event: delivery\ndata: ${JSON.stringify(delivery)}\n\n`);
      },
      end: () => res.end(),
    });
    const beat = setInterval(() => {
      res.write(': keep-alive\n\n');
      outbox.relayHeartbeat(key, endpointId, holder).then(
        (held) => {
          if (!held) res.end(); // taken over by another stream, or removed
        },
        () => undefined, // the store is away: the next beat tries again
      );
    }, outbox.config.relayHeartbeatMs);
    beat.unref();
    res.write(`event: ready\ndata: ${JSON.stringify({ endpoint_id: endpointId })}\n\n`);
    res.on('close', () => {
      ended = true;
      clearInterval(beat);
      detach();
      outbox.closeRelay(key, endpointId, holder).catch(() => undefined);
    });
  };
}
