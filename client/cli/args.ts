// Command-line arguments of the headless client.

export interface CliArgs {
  /** ws(s)://host:port/ws */
  wsUrl: string;
  /** http(s)://host:port */
  httpBase: string;
  user: string;
  password: string;
  /** Texts and image paths to send once connected, in order. */
  outgoing: { kind: 'text' | 'image'; value: string }[];
  /** Exit once the outgoing items were sent and acknowledged (no stdin). */
  exitAfterSend: boolean;
  /** Folder where the device token is kept across runs (--state-dir); none: a new device each run. */
  stateDir?: string;
}

export const USAGE = `usage: npm run cli -- --server ws://HOST:PORT --user NAME [--password PW]
                      [--send TEXT]... [--image PATH]... [--exit] [--state-dir DIR]
  The password may also come from the environment variable CHATROOM_PASSWORD.
  --state-dir keeps this client's device token (so failed logins from elsewhere never lock it out).
  Lines typed on stdin are sent as texts; "/image PATH" sends an image; "/quit" leaves.`;

export class HelpRequested extends Error {
  constructor() {
    super(USAGE);
  }
}

export function parseArgs(argv: string[], env: Record<string, string | undefined>): CliArgs {
  let server = '';
  let user = '';
  let password = env.CHATROOM_PASSWORD ?? '';
  let exitAfterSend = false;
  let stateDir: string | undefined;
  const outgoing: CliArgs['outgoing'] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--help' || arg === '-h') throw new HelpRequested();
    if (arg === '--server') server = value();
    else if (arg === '--user') user = value();
    else if (arg === '--password') password = value();
    else if (arg === '--send') outgoing.push({ kind: 'text', value: value() });
    else if (arg === '--image') outgoing.push({ kind: 'image', value: value() });
    else if (arg === '--exit') exitAfterSend = true;
    else if (arg === '--state-dir') stateDir = value();
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!server) throw new Error('--server is required');
  if (!user) throw new Error('--user is required');
  if (!password) throw new Error('a password is required (--password or CHATROOM_PASSWORD)');
  let url: URL;
  try {
    url = new URL(server.includes('://') ? server : `ws://${server}`);
  } catch {
    throw new Error(`--server: not a URL: ${server}`);
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error('--server must be ws://HOST:PORT');
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/ws';
  const httpBase = `${url.protocol === 'wss:' ? 'https' : 'http'}://${url.host}`;
  return { wsUrl: url.toString(), httpBase, user, password, outgoing, exitAfterSend, ...(stateDir ? { stateDir } : {}) };
}
