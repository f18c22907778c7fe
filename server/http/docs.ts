import express from 'express';
import { dirname } from 'node:path';

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Last-mile Delivery Jobs API · lastmile-kit sandbox</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="reference"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#reference', deepLinking: true, persistAuthorization: true });
  </script>
</body>
</html>`;

// The package's main module loads the whole UI bundle into the server; only its folder is needed.
const SWAGGER_UI_ASSETS = dirname(require.resolve('swagger-ui-dist/package.json'));

/**
 * The spec file names the default local server; served, it points at the origin serving
 * it (a relative URL resolves against the document's own), so /docs "Try it out" calls
 * this server on whatever host and port it runs.
 */
export const SERVED_SERVERS = [{ url: '/', description: 'This sandbox (the origin serving this document)' }];

export function servedSpec(specText: string): { yaml: string; json: string } {
  // yaml loads with the first request for the spec, not at start-up (where it cost ~150 ms).
  const { parseDocument } = require('yaml') as typeof import('yaml');
  const document = parseDocument(specText);
  document.set('servers', document.createNode(SERVED_SERVERS));
  return { yaml: document.toString({ lineWidth: 0 }), json: JSON.stringify(document.toJS()) };
}

/** The spec as served, and an API reference page rendered from it with local assets only. */
export function mountDocs(app: express.Express, specText: string): void {
  let served: { yaml: string; json: string } | undefined;
  app.get('/openapi.yaml', (_req, res) => {
    res.type('application/yaml').send((served ??= servedSpec(specText)).yaml);
  });
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send((served ??= servedSpec(specText)).json);
  });
  app.use('/docs/assets', express.static(SWAGGER_UI_ASSETS, { index: false, maxAge: '1h' }));
  app.get(['/docs', '/docs/'], (_req, res) => {
    res.type('html').send(PAGE);
  });
}
