// Which browser Origins may use the API (CORS) and open the WebSocket. Same-origin pages and
// clients without an Origin header (Node) are always allowed; '*' in the list allows every origin.
// In a cluster the live nodes' own origins are allowed too: a page served by one node connects to
// another when its node is lost.

export class OriginPolicy {
  private readonly allowed: Set<string>;
  private readonly any: boolean;

  constructor(
    allowedOrigins: readonly string[] = [],
    private readonly clusterOrigins: () => readonly string[] = () => [],
  ) {
    this.any = allowedOrigins.includes('*');
    this.allowed = new Set(allowedOrigins.map(normalizeOrigin).filter((o): o is string => o !== null));
  }

  /** Listed in allowed_origins (not counting same-origin). */
  allowsCrossOrigin(origin: string): boolean {
    if (this.any) return true;
    const normalized = normalizeOrigin(origin);
    if (normalized === null) return false;
    return this.allowed.has(normalized) || this.clusterOrigins().some((node) => normalizeOrigin(node) === normalized);
  }

  /** For a WebSocket upgrade: no Origin, same origin (Origin host == Host header), or listed. */
  allowsUpgrade(origin: string | undefined, hostHeader: string | undefined): boolean {
    if (origin === undefined) return true;
    if (hostHeader !== undefined && hostOf(origin) === hostHeader.toLowerCase()) return true;
    return this.allowsCrossOrigin(origin);
  }
}

function normalizeOrigin(origin: string): string | null {
  try {
    return new URL(origin).origin.toLowerCase();
  } catch {
    return null;
  }
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return null;
  }
}
