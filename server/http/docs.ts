import express from 'express';
import { spec } from '../../spec/contract';
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

/** The spec as served, and an API reference page rendered from it with local assets only. */
export function mountDocs(app: express.Express, specText: string): void {
  let specJson: string | undefined;
  app.get('/openapi.yaml', (_req, res) => {
    res.type('application/yaml').send(specText);
  });
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(specJson ??= JSON.stringify(spec));
  });
  app.use('/docs/assets', express.static(SWAGGER_UI_ASSETS, { index: false, maxAge: '1h' }));
  app.get(['/docs', '/docs/'], (_req, res) => {
    res.type('html').send(PAGE);
  });
}
