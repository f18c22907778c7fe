/**
 * The transport's one retry of its own: a pooled connection the receiver closed while idle
 * fails the request written to it before the receiver reads it, and the request goes again
 * on a new connection within the same attempt. A reset on a new connection is the
 * receiver's answer, and fails the attempt.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { sender } from './sender';

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok';

/** A receiver that answers the first request of each connection and drops the connection at the next, unread. */
async function closingWhenIdle(): Promise<{
  url: string;
  requests: () => number;
  connections: () => number;
  close(): Promise<void>;
}> {
  let requests = 0;
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    let served = 0;
    socket.on('data', (chunk) => {
      if (!chunk.toString('latin1').includes('\r\n\r\n')) return;
      requests += 1;
      if (served++ === 0) socket.write(OK);
      else socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    requests: () => requests,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const send = sender({ timeoutMs: 5000, allowPrivate: true });

it('sends again on a new connection when a pooled one was closed while idle', async () => {
  const receiver = await closingWhenIdle();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const first = await send(receiver.url, agent, {}, '{"n":1}');
    const second = await send(receiver.url, agent, {}, '{"n":2}');
    expect([first.ok, first.attempt.status_code]).toEqual([true, 200]);
    expect([second.ok, second.attempt.status_code, second.attempt.error]).toEqual([true, 200, undefined]);
    // The second request reached the closed connection first, then a new one.
    expect([receiver.requests(), receiver.connections()]).toEqual([3, 2]);
  } finally {
    agent.destroy();
    await receiver.close();
  }
});

it('fails the attempt when a new connection is reset: that is the receiver answering', async () => {
  let requests = 0;
  const server = net.createServer((socket) =>
    socket.on('data', () => {
      requests += 1;
      socket.destroy();
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new http.Agent({ keepAlive: true });
  try {
    const outcome = await send(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, agent, {}, '{}');
    expect(outcome.ok).toBe(false);
    expect(outcome.attempt.error).toMatch(/ECONNRESET|socket hang up/);
    expect(requests).toBe(1);
  } finally {
    agent.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});
