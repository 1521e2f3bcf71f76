/** `--admin [HOST:]PORT`: where the admin listener binds. */
import { isIP } from 'node:net';
import { InvalidArgumentError } from 'commander';

export interface AdminAddress {
  host: string;
  port: number;
}

/** The admin port binds to loopback unless a host is given. */
export const ADMIN_DEFAULT_HOST = '127.0.0.1';

/** Parse `PORT`, `HOST:PORT` or `[IPV6]:PORT` (port 0: an ephemeral one). */
export function parseAdminAddress(value: string): AdminAddress {
  return parseHostPort(value, 9464);
}

/** `[HOST:]PORT` as --admin and the server's --udp take it: loopback (127.0.0.1) unless a host is given; `example` is the port the error message shows. */
export function parseHostPort(value: string, example: number): AdminAddress {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(value.trim());
  const port = m === null ? Number.NaN : Number(m[2]);
  if (m === null || port > 65535) throw new InvalidArgumentError(`expected PORT or HOST:PORT, e.g. ${example} or 127.0.0.1:${example} ([::1]:${example} for IPv6).`);
  const host = m[1] === undefined ? ADMIN_DEFAULT_HOST : m[1].replace(/^\[|\]$/g, '');
  return { host, port };
}

/** Whether `host` is a loopback address or name (the admin endpoints have no authentication). */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** The warning printed when the admin port listens beyond loopback, or null when it does not. */
export function exposedWarning(address: AdminAddress, debug: boolean): string | null {
  return notLoopbackWarning('--admin', address, `the admin endpoints have no authentication: whoever reaches it reads the metrics${debug ? ' and takes profiles and heap snapshots' : ''}`);
}

/** One warning for every option that binds beyond loopback: `option HOST:PORT is not a loopback address; why`; null on loopback. */
export function notLoopbackWarning(option: string, address: AdminAddress, why: string): string | null {
  if (isLoopback(address.host)) return null;
  return `warning: ${option} ${address.host}:${address.port} is not a loopback address; ${why}`;
}
