/**
 * An endpoint as `benchmark ab` takes it, one word per side: where a
 * benchmark run connects (src/io/connect.ts's Target), written as its
 * reports write addresses (targetUrl), and the run options that say it.
 */
import { isIP } from 'node:net';
import type { Target } from '../io/connect.js';

/** The forms an endpoint may take, for the usage message. */
export const ENDPOINT_FORMS = 'tcp://HOST:PORT (tcp://[::1]:PORT for IPv6), unix:/PATH or udp://HOST:PORT';

/**
 * `tcp://127.0.0.1:8080`, `tcp://[::1]:8080`, `unix:/tmp/s.sock` (or
 * `unix:///tmp/s.sock`), `udp://127.0.0.1:11111` -> its Target; null when
 * the word is none of these (the caller's usage error names ENDPOINT_FORMS).
 */
export function parseEndpoint(word: string): Target | null {
  if (word.startsWith('unix:')) {
    // unix:///tmp/s.sock is the URL form of unix:/tmp/s.sock; unix://tmp/s.sock would name a host, which a Unix socket has not.
    const path = word.startsWith('unix://') ? word.slice('unix://'.length) : word.slice('unix:'.length);
    return path.startsWith('/') && path.length > 1 ? { transport: 'unix', path } : null;
  }
  const m = /^(tcp|udp):\/\/(?:\[([^\]]+)\]|([^:/[\]]+)):(\d{1,5})$/.exec(word);
  if (m === null) return null;
  const [, transport, v6, name, digits] = m;
  const port = Number(digits);
  if (port < 1 || port > 65535) return null;
  // Brackets hold an IPv6 address and nothing else; a bare host may be a name or an IPv4 address.
  if (v6 !== undefined && isIP(v6) !== 6) return null;
  const host = v6 ?? name;
  return transport === 'tcp' ? { transport: 'tcp', host, port } : { transport: 'udp', host, port };
}

/** The benchmark run's options that point it at `t`: `--host H --port P`, `--unix PATH`, or `--udp --host H --port P`. */
export function targetArgs(t: Target): string[] {
  if (t.transport === 'unix') return ['--unix', t.path];
  const address = ['--host', t.host, '--port', String(t.port)];
  return t.transport === 'udp' ? ['--udp', ...address] : address;
}
