// What the client keeps in localStorage: the server address, the UI language, the session token
// and, per server and account, the device token (the secrets stored there; the device token stays
// after a logout, so this browser keeps counting as a known device). Every access tolerates a
// disabled or full storage.

const KEYS = {
  server: 'chatroom.serverAddress',
  token: 'chatroom.token',
  lang: 'chatroom.lang',
  devices: 'chatroom.devices',
  deviceKeys: 'chatroom.deviceKeys',
  keyPins: 'chatroom.keyPins',
} as const;

/** Device tokens (or device key seeds) by "<server origin> <account name in lower case>". */
function deviceTokens(storageKey: string = KEYS.devices): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(read(storageKey) ?? '{}');
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function deviceKey(origin: string, username: string): string {
  return `${origin} ${username.normalize('NFC').toLowerCase()}`;
}

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // Private mode or quota: the value lives for this page only.
  }
}

export const storage = {
  serverAddress: () => read(KEYS.server),
  setServerAddress: (value: string) => write(KEYS.server, value),
  token: () => read(KEYS.token),
  setToken: (value: string | null) => write(KEYS.token, value),
  deviceToken: (origin: string, username: string): string | undefined => {
    const token = deviceTokens()[deviceKey(origin, username)];
    return typeof token === 'string' ? token : undefined;
  },
  setDeviceToken: (origin: string, username: string, token: string) => write(KEYS.devices, JSON.stringify({ ...deviceTokens(), [deviceKey(origin, username)]: token })),
  /** The seed of this browser's device key for the account (shared/deviceKey.ts); kept across logouts like the device token. */
  deviceKeySeed: (origin: string, username: string): string | undefined => {
    const seed = deviceTokens(KEYS.deviceKeys)[deviceKey(origin, username)];
    return typeof seed === 'string' ? seed : undefined;
  },
  setDeviceKeySeed: (origin: string, username: string, seed: string) =>
    write(KEYS.deviceKeys, JSON.stringify({ ...deviceTokens(KEYS.deviceKeys), [deviceKey(origin, username)]: seed })),
  /** The device keys others showed this device (client/mesh/keyPins.ts), by this device's own public key (one per server and account). */
  keyPins: (ownDeviceKey: string) => ({
    load: () => read(`${KEYS.keyPins} ${ownDeviceKey}`),
    save: (text: string) => write(`${KEYS.keyPins} ${ownDeviceKey}`, text),
  }),
  lang: () => read(KEYS.lang),
  setLang: (value: string) => write(KEYS.lang, value),
};

/** The page's own address as the user would type it (host:port). */
export function defaultServerAddress(): string {
  return location.host;
}

/**
 * Turns what the user typed ("192.168.1.5:8080", "http://host:port/") into an http(s) origin,
 * or null when it is not a usable address.
 */
export function serverOrigin(address: string): string | null {
  const trimmed = address.trim();
  if (!trimmed) return null;
  const withScheme = /^https?:\/\//i.test(trimmed) ? trimmed : `${location.protocol === 'https:' ? 'https' : 'http'}://${trimmed}`;
  try {
    const url = new URL(withScheme);
    if (url.pathname !== '/' || url.search || url.hash || url.username) return null;
    return url.origin;
  } catch {
    return null;
  }
}

/** ws(s)://host:port/ws for an http(s) origin. */
export function socketUrl(origin: string): string {
  return `${origin.replace(/^http/, 'ws')}/ws`;
}
