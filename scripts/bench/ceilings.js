'use strict';
// The framework's and the runtime's ceilings: a canned 201 of the same size as the
// sandbox's create-job answer, without reading, parsing or storing anything.
// Usage: node ceilings.js express|bare   (prints "listening on URL")
const http = require('node:http');

const kind = process.argv[2];
const CANNED = JSON.stringify({ message: 'Job created', job_id: '3dcb8cb1-c6c4-4cb9-921d-cc4ca9627ab8', warnings: [] });
const LOCATION = '/jobs/3dcb8cb1-c6c4-4cb9-921d-cc4ca9627ab8';

function listen(server) {
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`));
}

if (kind === 'express') {
  const express = require('express');
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.post('/jobs', (_req, res) => {
    res.status(201).set('Location', LOCATION).type('application/json').send(CANNED);
  });
  listen(http.createServer(app));
} else if (kind === 'bare') {
  listen(
    http.createServer((req, res) => {
      req.resume();
      res.writeHead(201, {
        'content-type': 'application/json; charset=utf-8',
        location: LOCATION,
        'content-length': Buffer.byteLength(CANNED),
      });
      res.end(CANNED);
    }),
  );
} else {
  process.stderr.write('usage: ceilings.js express|bare\n');
  process.exit(2);
}
