// Which names the server answers to (the Host header of every request and WebSocket upgrade): the
// defence against DNS rebinding. A web page on the internet can point its own name at this
// server's LAN address; the browser then treats the server as that page's origin, so the Origin
// check passes, and the page could register an account and sit in the room. It cannot hide its
// name, though: the Host header carries it. IP literals and localhost cannot be rebound; other
// names must be this machine's, the listen host, or listed in [security] allowed_hosts.

import { isIP } from 'node:net';

export class HostPolicy {
  private readonly names: Set<string>;
  private readonly any: boolean;

  /** `allowedHosts`: names from the config ('*' allows every name); `machineNames`: this host's own names. */
  constructor(allowedHosts: readonly string[], machineNames: readonly string[]) {
    this.any = allowedHosts.includes('*');
    this.names = new Set([...allowedHosts, ...machineNames].map((name) => name.toLowerCase().replace(/\.$/, '')));
  }

  /** True when a request with this Host header is for this server. */
  allows(hostHeader: string | undefined): boolean {
    if (this.any) return true;
    const name = hostName(hostHeader);
    if (name === null) return false;
    if (isIP(name) !== 0) return true;
    return name === 'localhost' || name.endsWith('.localhost') || this.names.has(name);
  }
}

/** This machine's names a LAN user may type: its host name, and the same under .local (mDNS). */
export function machineNames(hostname: string, listenHost: string): string[] {
  const names = [listenHost];
  const short = hostname.trim().toLowerCase();
  if (short !== '') names.push(short, short.endsWith('.local') ? short : `${short}.local`);
  return names.filter((name) => name !== '' && isIP(name) === 0);
}

/** The name part of a Host header (no port, no IPv6 brackets, no trailing dot), lower case; null when malformed. */
export function hostName(hostHeader: string | undefined): string | null {
  if (hostHeader === undefined) return null;
  const header = hostHeader.trim().toLowerCase();
  const bracketed = /^\[([0-9a-f:.%a-z]+)\](?::\d{1,5})?$/.exec(header);
  if (bracketed) return isIP(bracketed[1]) === 6 ? bracketed[1] : null;
  const plain = /^([a-z0-9.-]+)(?::\d{1,5})?$/.exec(header);
  if (!plain) return null;
  const name = plain[1].replace(/\.$/, '');
  return name === '' ? null : name;
}
