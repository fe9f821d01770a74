// How the room looks on stdout: one line per event, with the local time.

import type { ChatMessage, PeerView } from '../mesh/api';

function time(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

function who(p: { username: string; displayName: string }): string {
  return p.displayName && p.displayName !== p.username ? `${p.displayName} (@${p.username})` : p.username;
}

function size(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

/** The date as well for a message said before we joined (history from peers): it may be from another day. */
function dateTime(ms: number): string {
  const d = new Date(ms);
  const date = [d.getFullYear(), d.getMonth() + 1, d.getDate()].map((n) => String(n).padStart(2, '0')).join('-');
  return `${date} ${time(ms)}`;
}

export function formatMessage(m: ChatMessage): string {
  const head = m.via ? `[${dateTime(m.sentAt)}] (earlier) <${who(m.from)}>` : `[${time(m.sentAt)}] <${who(m.from)}>`;
  if (m.kind === 'text') return `${head} ${m.text.replace(/\r?\n/g, '\n    ')}`;
  return `${head} [image ${m.name} ${m.mime} ${size(m.bytes.byteLength)} sha256 ${m.sha256.slice(0, 12)}]`;
}

export function formatJoin(p: PeerView, now = Date.now()): string {
  return `[${time(now)}] * ${who(p)} joined`;
}

export function formatLeave(p: PeerView, now = Date.now()): string {
  return `[${time(now)}] * ${who(p)} left`;
}

export function formatLink(p: PeerView, now = Date.now()): string {
  return `[${time(now)}] * link to ${who(p)}: ${p.link}`;
}
