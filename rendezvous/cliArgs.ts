// Command-line flags. They override config.ini: --config FILE, --host ADDR, --port N, --db FILE.

import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from './configError';
import { parseHost, parsePort } from './config';

export interface CliArgs {
  config?: string;
  host?: string;
  port?: number;
  db?: string;
  help: boolean;
}

export const USAGE = `usage: npm start -- [--config FILE] [--host ADDR] [--port N] [--db FILE]
  --config FILE  settings file (default: config.ini of the project)
  --host ADDR    listen address, e.g. 0.0.0.0 (all interfaces) or 127.0.0.1
  --port N       listen port, 0 = any free port
  --db FILE      user store file (sessions go to FILE.sessions)`;

function checked<T>(flag: string, value: string, parse: (value: string) => T): T {
  try {
    return parse(value);
  } catch (error) {
    throw new ConfigError(`${flag} ${value}`, (error as Error).message);
  }
}

export function parseCliArgs(argv: string[]): CliArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        db: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new ConfigError('command line', `${(error as Error).message.split('\n')[0]} (see --help)`);
  }
  const args: CliArgs = { help: values.help ?? false };
  if (values.config !== undefined) args.config = path.resolve(values.config);
  if (values.host !== undefined) args.host = checked('--host', values.host, parseHost);
  if (values.port !== undefined) args.port = checked('--port', values.port, parsePort);
  if (values.db !== undefined) {
    if (values.db.trim() === '') throw new ConfigError('--db', 'must name a file');
    args.db = path.resolve(values.db);
  }
  return args;
}
