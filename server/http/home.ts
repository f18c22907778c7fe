import type express from 'express';
import { sendError, sendJson } from './errors';

/** Where `GET /` points: relative, so they hold behind any proxy or port. */
export const HOME_LINKS = {
  docs: '/docs',
  spec: '/openapi.yaml',
  spec_json: '/openapi.json',
  console: '/console',
  health: '/healthz',
} as const;

/**
 * `GET /` is no operation of the contract: a browser is sent to the console, anything
 * else (curl, an API client) gets a short JSON index of where things are.
 */
export function mountHome(app: express.Express, version: string): void {
  app.all('/', (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(
        res,
        { code: 'METHOD_NOT_ALLOWED', message: `${req.method} is not allowed here; use GET, HEAD` },
        { Allow: 'GET, HEAD' },
      );
      return;
    }
    res.setHeader('Vary', 'Accept');
    if (req.accepts(['application/json', 'text/html']) === 'text/html') {
      res.redirect(302, HOME_LINKS.console);
      return;
    }
    sendJson(res, 200, { name: 'lastmile-kit sandbox', version, links: HOME_LINKS });
  });
}
