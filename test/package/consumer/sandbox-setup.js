const { spawnSandbox } = require('lastmile-kit');

module.exports = async () => {
  globalThis.lastmileSandbox = await spawnSandbox();
  process.env.LASTMILE_BASE_URL = globalThis.lastmileSandbox.url;
  process.env.LASTMILE_API_KEY = globalThis.lastmileSandbox.apiKey;
};
