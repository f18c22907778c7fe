/** Test-only: an open server-sent event stream and every event it has carried so far. */
import http from 'node:http';

export interface OpenStream {
  events: Array<{ event: string; data: any }>;
  response: http.IncomingMessage;
  close(): void;
}

/** Resolves once the response has started, or with `firstChunk`, once its first bytes came. */
export function openEventStream(url: string, options: { firstChunk?: boolean } = {}): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (response) => {
      const events: OpenStream['events'] = [];
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      });
      const stream = { events, response, close: () => req.destroy() };
      if (options.firstChunk) response.once('data', () => resolve(stream));
      else resolve(stream);
    });
    req.on('error', reject);
  });
}
