// Command-line flags. They override config.ini: --config FILE, --host ADDR, --port N, --db FILE,
// and the [cluster] keys: --redis-url, --postgres-url, --node-name, --advertised-url.

import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from './configError';
import { parseAdvertisedUrl, parseHost, parseNodeName, parsePort, parsePostgresUrl, parseRedisUrl, type ClusterSettings } from './config';

export interface CliArgs {
  config?: string;
  host?: string;
  port?: number;
  db?: string;
  /** [cluster] keys given on the command line, when any is. */
  cluster?: ClusterSettings;
  help: boolean;
}

export const USAGE = `usage: npm start -- [--config FILE] [--host ADDR] [--port N] [--db FILE]
                    [--redis-url URL --postgres-url URL --node-name NAME --advertised-url URL]
  --config FILE         settings file (default: config.ini of the project)
  --host ADDR           listen address, e.g. 0.0.0.0 (all interfaces) or 127.0.0.1
  --port N              listen port, 0 = any free port
  --db FILE             user store file (sessions go to FILE.sessions)
  --redis-url URL       cluster mode: Redis shared by the nodes ([cluster] redis_url)
  --postgres-url URL    cluster mode: accounts in PostgreSQL ([cluster] postgres_url)
  --node-name NAME      this node's name in the cluster ([cluster] node_name)
  --advertised-url URL  the address clients reach this node at ([cluster] advertised_url)`;

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
        'redis-url': { type: 'string' },
        'postgres-url': { type: 'string' },
        'node-name': { type: 'string' },
        'advertised-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new ConfigError('command line', `${(error as Error).message.split('\n')[0]} (see --help)`);
  }
  const cluster: ClusterSettings = {};
  if (values['redis-url'] !== undefined) cluster.redisUrl = checked('--redis-url', values['redis-url'], parseRedisUrl);
  if (values['postgres-url'] !== undefined) cluster.postgresUrl = checked('--postgres-url', values['postgres-url'], parsePostgresUrl);
  if (values['node-name'] !== undefined) cluster.nodeName = checked('--node-name', values['node-name'], parseNodeName);
  if (values['advertised-url'] !== undefined) cluster.advertisedUrl = checked('--advertised-url', values['advertised-url'], parseAdvertisedUrl);
  const args: CliArgs = { help: values.help ?? false };
  if (Object.keys(cluster).length > 0) args.cluster = cluster;
  if (values.config !== undefined) args.config = path.resolve(values.config);
  if (values.host !== undefined) args.host = checked('--host', values.host, parseHost);
  if (values.port !== undefined) args.port = checked('--port', values.port, parsePort);
  if (values.db !== undefined) {
    if (values.db.trim() === '') throw new ConfigError('--db', 'must name a file');
    args.db = path.resolve(values.db);
  }
  return args;
}
