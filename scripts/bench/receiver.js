'use strict';
// A webhook receiver in its own process: counts distinct webhook ids it accepted, answers 200.
// GET /count → {"received": n, "distinct": n, "refused": n, "firstAt": ms, "lastAt": ms}
// POST /fail: from now on answers every webhook 500 (counted as refused); POST /accept: 200 again.
const http = require('node:http');

const seen = new Set();
let received = 0;
let refused = 0;
let failing = false;
let firstAt = 0;
let lastAt = 0;
const server = http.createServer((req, res) => {
  if (req.method === 'GET' || req.url === '/fail' || req.url === '/accept') {
    if (req.url === '/fail') failing = true;
    if (req.url === '/accept') failing = false;
    req.resume();
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ received, distinct: seen.size, refused, firstAt, lastAt }));
    return;
  }
  req.resume();
  req.on('end', () => {
    if (failing) {
      refused += 1;
      res.statusCode = 500;
      res.end();
      return;
    }
    const now = Date.now();
    if (!firstAt) firstAt = now;
    lastAt = now;
    received += 1;
    seen.add(req.headers['webhook-id']);
    res.end('ok');
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`));
