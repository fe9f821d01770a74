// What an operator's tools ask a node: GET /healthz (the process answers), GET /readyz (its
// engines answer: the account store, and in cluster mode Redis and PostgreSQL; 503 when one does
// not, so a load balancer stops sending it new clients), GET /metrics (Prometheus text format,
// only to the addresses config.ini allows: [monitoring] metrics_addresses, loopback by default).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { probe, type EngineProbe, type ServerMetrics } from '../metrics';

export const OPS_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export interface OpsDeps {
  metrics: ServerMetrics;
  engines: EngineProbe[];
  /** Addresses allowed to read /metrics ('*': any). */
  metricsAddresses: readonly string[];
}

/** An IPv4 address as IPv4 also when it came in IPv6-mapped (::ffff:127.0.0.1). */
export function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1] : address.toLowerCase();
}

export function parseAddressList(list: readonly string[]): string[] {
  return list.map((entry) => {
    if (entry !== '*' && isIP(entry) === 0) throw new Error(`"${entry}" is not an IP address`);
    return entry === '*' ? entry : plainAddress(entry);
  });
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

export async function handleOps(req: IncomingMessage, res: ServerResponse, path: string, deps: OpsDeps): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', 'Use GET.\n');
  }
  if (path === '/healthz') return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
  if (path === '/readyz') {
    const states = await Promise.all(deps.engines.map((engine) => probe(engine)));
    const ready = states.every((s) => s.up);
    const checks = Object.fromEntries(states.map((s) => [s.name, s.up ? 'ok' : `down: ${s.error}`]));
    return send(res, ready ? 200 : 503, 'application/json', `${JSON.stringify({ ready, checks })}\n`);
  }
  const address = plainAddress(req.socket.remoteAddress ?? '');
  if (!deps.metricsAddresses.includes('*') && !deps.metricsAddresses.includes(address)) {
    return send(res, 403, 'text/plain; charset=utf-8', 'Metrics are not served to this address ([monitoring] metrics_addresses in config.ini).\n');
  }
  send(res, 200, deps.metrics.registry.contentType, await deps.metrics.registry.metrics());
}
