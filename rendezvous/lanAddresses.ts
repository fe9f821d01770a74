// The addresses a user can open, printed at start like Vite does.

import { networkInterfaces } from 'node:os';

/** Every non-internal IPv4 address of this machine. */
export function lanIPv4Addresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) if (info.family === 'IPv4' && !info.internal) out.push(info.address);
  }
  return out;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** Lines for the start banner: Local and Network URLs for the address the server listens on. */
export function addressLines(host: string, port: number, scheme: 'http' | 'https'): string[] {
  const url = (h: string) => `${scheme}://${h.includes(':') ? `[${h}]` : h}:${port}/`;
  if (!WILDCARDS.has(host)) {
    const local = host === 'localhost' || host.startsWith('127.') || host === '::1';
    return [`${local ? 'Local:  ' : 'Network:'} ${url(host)}`];
  }
  return [`Local:   ${url('localhost')}`, ...lanIPv4Addresses().map((ip) => `Network: ${url(ip)}`)];
}
