/**
 * Helpers for the tests of the admin port (--admin): HTTP requests to it,
 * one Prometheus sample read from the exposition text, and whether a
 * Debian binary the test needs is installed.
 */
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { WAIT_MS } from './helpers.js';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request on a connection of its own (no keep-alive pool left behind). */
export function http(url: string, method = 'GET', timeoutMs = WAIT_MS): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** The value of the sample `name{labels}` (labels as written, e.g. `code="ERR_FRAME_TOO_LARGE"`), or undefined. */
export function sample(text: string, name: string, labels?: string): number | undefined {
  const prefix = labels === undefined ? `${name} ` : `${name}{${labels}} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(prefix.length));
}

/** Wait until /metrics at `admin` shows `name{labels}` at `value` (the serving thread publishes every 250 ms); resolves with that exposition. */
export async function waitForSample(admin: string, name: string, value: number, labels?: string, timeoutMs = WAIT_MS): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const text = (await http(`${admin}/metrics`)).body;
    const got = sample(text, name, labels);
    if (got === value) return text;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${name}${labels === undefined ? '' : `{${labels}}`} to be ${value} (last: ${got})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The path of `command`, or null when it is not installed. */
export function which(command: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}
