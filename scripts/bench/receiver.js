'use strict';
// A webhook receiver in its own process: counts distinct webhook ids, answers 200.
// GET /count → {"received": n, "distinct": n, "firstAt": ms, "lastAt": ms}
const http = require('node:http');

const seen = new Set();
let received = 0;
let firstAt = 0;
let lastAt = 0;
const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ received, distinct: seen.size, firstAt, lastAt }));
    return;
  }
  req.resume();
  req.on('end', () => {
    const now = Date.now();
    if (!firstAt) firstAt = now;
    lastAt = now;
    received += 1;
    seen.add(req.headers['webhook-id']);
    res.end('ok');
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`));
