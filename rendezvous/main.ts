// Entry point: flags + config.ini -> startServer, print the addresses to open. Any start-up
// problem ends the process with one line on stderr and exit code 1, never a stack trace.

import { open } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCliArgs, USAGE } from './cliArgs';
import { loadConfig, type Settings } from './config';
import { ConfigError } from './configError';
import { addressLines } from './lanAddresses';
import { createLogger, serverLog } from './logger';
import { startServer, type RunningServer } from './server';
import { STORE_FILE_MODE } from './accounts/nedbFile';

const DEFAULT_CONFIG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'config.ini');

function loadSettings(argv: string[]): Settings | null {
  const args = parseCliArgs(argv);
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return null;
  }
  const settings = loadConfig(args.config ?? DEFAULT_CONFIG, args.config !== undefined);
  if (args.host !== undefined) [settings.host, settings.sources.host] = [args.host, `--host ${args.host}`];
  if (args.port !== undefined) [settings.port, settings.sources.port] = [args.port, `--port ${args.port}`];
  if (args.db !== undefined) [settings.dbPath, settings.sources.dbPath] = [args.db, `--db ${args.db}`];
  settings.cluster = { ...settings.cluster, ...args.cluster };
  // Several processes must never share one NeDB file (its author: one process per datafile).
  if (settings.cluster.redisUrl && !settings.cluster.postgresUrl) {
    throw new ConfigError('[cluster] redis_url', 'a cluster keeps its accounts in PostgreSQL: set postgres_url too (NeDB is one process only)');
  }
  return settings;
}

/** Fails early, with the source of the path, when the user store cannot be written. */
async function checkWritable(file: string, source: string): Promise<void> {
  try {
    // Created owner-only, as the store keeps it (STORE_FILE_MODE): it will hold password hashes.
    await (await open(file, 'a', STORE_FILE_MODE)).close();
  } catch (error) {
    throw new ConfigError(source, `cannot write ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function explainStartError(error: unknown, settings: Settings): Error {
  const e = error as NodeJS.ErrnoException;
  if (e.syscall === 'listen' || e.code === 'EADDRINUSE') {
    if (e.code === 'EADDRINUSE') return new ConfigError(settings.sources.port, `port ${settings.port} is already in use`);
    if (e.code === 'EACCES') return new ConfigError(settings.sources.port, `no permission to listen on port ${settings.port}`);
    return new ConfigError(settings.sources.host, `cannot listen on ${settings.host} (${e.code ?? e.message})`);
  }
  if (e.code === 'ENOTFOUND' || e.code === 'EADDRNOTAVAIL') return new ConfigError(settings.sources.host, `cannot listen on ${settings.host} (${e.code})`);
  if (e.message?.includes('corrupt')) return new ConfigError(settings.sources.dbPath, `cannot load the user store: ${e.message}`);
  return e instanceof Error ? e : new Error(String(error));
}

/** A URL as printed: its password (if any) hidden. */
function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

async function main(): Promise<void> {
  const settings = loadSettings(process.argv.slice(2));
  if (!settings) return;
  const cluster = settings.cluster;
  if (!cluster.postgresUrl) {
    await checkWritable(settings.dbPath, settings.sources.dbPath);
    await checkWritable(`${settings.dbPath}.sessions`, settings.sources.dbPath);
  }
  let server: RunningServer;
  try {
    server = await startServer({
      host: settings.host,
      port: settings.port,
      dbPath: settings.dbPath,
      relay: settings.relay,
      maxImageBytes: settings.maxImageBytes,
      heartbeatIntervalMs: settings.heartbeatIntervalMs,
      registrationLimits: { perAddress: settings.registrationsPerAddress },
      unauthenticatedPerAddressMax: settings.unauthenticatedPerAddress,
      unauthenticatedMax: settings.unauthenticatedTotal,
      presumedGraceMs: settings.restartGraceMs,
      peersPerAccountMax: settings.devicesOnlinePerAccount,
      allowedOrigins: settings.allowedOrigins,
      connectOrigins: settings.connectOrigins,
      allowedHosts: settings.allowedHosts,
      iceServers: settings.iceServers,
      tls: settings.tls,
      cluster,
      metricsAddresses: settings.metricsAddresses,
      log: serverLog(createLogger(settings.logLevel, cluster.nodeName)),
    });
  } catch (error) {
    throw explainStartError(error, settings);
  }
  const lines = addressLines(settings.host, server.port, settings.tls ? 'https' : 'http');
  const storage = cluster.redisUrl
    ? `cluster node ${server.nodeName}: redis ${withoutPassword(cluster.redisUrl)}, accounts ${withoutPassword(cluster.postgresUrl!)}`
    : `users: ${cluster.postgresUrl ? withoutPassword(cluster.postgresUrl) : settings.dbPath}`;
  process.stdout.write(`\n  ChatRoom is running:\n${lines.map((l) => `    ${l}\n`).join('')}\n  ${storage}\n\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1); // a second Ctrl-C: do not wait
    stopping = true;
    process.stdout.write(`chatroom: ${signal}, stopping\n`);
    server.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : `cannot start: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`chatroom: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(1);
});
