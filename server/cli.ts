/**
 * `lastmile serve`: one commander option per entry of the settings table (settings.ts), each
 * read from its flag, else its environment variable, else its default. The only place the
 * server's environment variables are read.
 */
import { Command, Option } from 'commander';
import { ConfigError, DEFAULT_API_KEY, type ServerConfig } from './config';
import { flagName, settingEntries, shownDefault, type AnySetting } from './settings';
import { startServer } from './main';

/** A setting's commander options: the option itself, and a switch's `--no-` form when it has one. */
function optionsFor(entry: AnySetting): Option[] {
  const name = flagName(entry);
  const parser = (raw: string) => entry.parse(raw, name);
  if (entry.switch) {
    const option = new Option(`${name} [bool]`, `${entry.help} (true or false; alone: true)`)
      .env(entry.env)
      .preset('true')
      .argParser(parser)
      .default(entry.default);
    return entry.negation ? [option, new Option(`--no-${name.slice(2)}`, entry.negation)] : [option];
  }
  return [
    new Option(entry.flag, entry.help).env(entry.env).argParser(parser).default(entry.default, shownDefault(entry)),
  ];
}

export function registerServe(program: Command): void {
  const command = program
    .command('serve')
    .description('Serve the reference sandbox: one isolated tenant per API key, in memory or in Redis');
  const options = settingEntries().map(([name, entry]) => {
    const added = optionsFor(entry);
    for (const option of added) command.addOption(option);
    return [name, added[0].attributeName()] as const;
  });
  command.action(async (opts: Record<string, unknown>) => {
    const config = Object.fromEntries(options.map(([name, attribute]) => [name, opts[attribute]])) as ServerConfig;
    let server;
    try {
      server = await startServer(config);
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE')
        throw new Error(`port ${config.port} on ${config.host} is in use; try --port 0 or another port`);
      throw error;
    }
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      server.logger.info({ signal }, 'shutting down');
      const { undelivered } = await server.close();
      server.logger.info({ undelivered }, 'stopped');
      server.flushLogs();
      if (undelivered > 0) process.stderr.write(`lastmile: ${undelivered} webhook deliveries left undelivered\n`);
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
    // The banner last: whoever waits for it may signal at once, and the handlers are in place.
    const key = config.apiKeys?.[0] ?? DEFAULT_API_KEY;
    process.stdout.write(
      [
        `Sandbox listening on ${server.url}`,
        `  API key to try: ${key}${config.apiKeys ? '' : '   (any non-empty x-api-key opens its own isolated tenant)'}`,
        `  API reference:  ${server.url}/docs`,
        `  Spec:           ${server.url}/openapi.yaml`,
        `  Console:        ${server.url}/console`,
        `  Store:          ${server.storeAddress}${config.store === 'memory' ? '   (this process only)' : ''}`,
        `  Readiness:      ${server.url}/readyz${config.metrics ? `   Metrics: ${server.url}/metrics` : ''}`,
        `  Try:            curl -s -H 'x-api-key: ${key}' ${server.url}/sandbox/clock`,
        '',
      ].join('\n'),
    );
  });
}
