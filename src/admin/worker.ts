/**
 * The admin worker thread: the HTTP listener of `--admin`, with its own
 * event loop and its own heap, so that serving a scrape, building the
 * exposition text and rendering JSON never run on, nor make garbage in, the
 * thread that answers messages. It reads the serving thread's figures from
 * shared memory (shared.ts) and profiles it through the inspector.
 *
 * Hostile admin clients are bounded here: at most MAX_CONNECTIONS sockets
 * (more are closed at once), a few seconds to send headers and a request,
 * GET and HEAD only, small headers; /metrics is built at most once per
 * publication (metrics.ts), so a flood of scrapes costs HTTP parsing only.
 */
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { DASHBOARD_CSP, dashboardPage } from './dashboard.js';
import { health } from './health.js';
import { HISTORY_PERIOD_MS, HISTORY_SPAN_S, History } from './history.js';
import { AdminMetrics, type BuildInfo } from './metrics.js';
import { PROFILE_MAX_S, PROFILE_MIN_S, ProfileBusy, Profiles } from './profiles.js';
import { type SourceBuffers, sourceViews } from './sources.js';
import { statsSnapshot } from './stats.js';

/** What index.ts hands the worker. */
export interface AdminWorkerData {
  sources: SourceBuffers;
  host: string;
  port: number;
  debug: boolean;
  build: BuildInfo;
  startedAt: number;
  /** CPUs to move this thread to (taskset), or null to stay where the serving thread is. */
  cpus: string | null;
  /** The process runs under SCHED_FIFO (--rt-priority), which this thread inherited: return to the normal policy. */
  realtime: boolean;
  /** A test's fault injection: `GET /debug/crash` throws in the worker (RESPUESTA_ADMIN_FAULT=crash). */
  crashRoute: boolean;
}

/** What the worker tells index.ts once it listens. */
export interface AdminListening {
  type: 'listening';
  host: string;
  port: number;
  /** What the worker could not do to keep out of the serving thread's way (placeThisThread), one line each. */
  placementFailures: string[];
}

const MAX_CONNECTIONS = 32;
const HEADERS_TIMEOUT_MS = 5000;
const REQUEST_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_MS = 5000;
const MAX_HEADER_BYTES = 8192;
/** A socket silent this long is closed; longer than the longest CPU profile. */
const SOCKET_TIMEOUT_MS = (PROFILE_MAX_S + 30) * 1000;
/** The admin thread's nice value: the lowest priority of a normal thread. */
const ADMIN_NICE = 19;

/**
 * Keep this thread out of the serving thread's way, on this thread's id
 * alone (util-linux's tools, as --cpu and --rt-priority use them):
 * - back to the normal policy when the process runs under SCHED_FIFO
 *   (--rt-priority), which this thread inherited: a scrape at the serving
 *   thread's real-time priority would run to its end before any reply;
 * - nice 19, the lowest weight of a normal thread: a scrape's work gets
 *   about 2% of a CPU the serving thread wants, and an idle admin thread
 *   costs a round trip nothing, as SCHED_IDLE did not (bench/ab.ts admin;
 *   docs/lab/2026-12-04-performance.md, "The admin thread's priority");
 * - onto other CPUs than the serving thread's when there are (`cpus`,
 *   --admin-cpu or its default): a scrape's work then never runs where
 *   replies are made (bench/ab.ts admin; the lab log, "What a scrape costs").
 * Returns what it could not do, one line each.
 */
function placeThisThread(cpus: string | null, realtime: boolean): string[] {
  let tid: string;
  try {
    tid = readlinkSync('/proc/thread-self').split('/').pop()!;
  } catch {
    return ["no /proc/thread-self (not Linux): the admin thread keeps the serving thread's priority and CPUs"];
  }
  const run = (what: string, command: string, args: string[]): string | null => {
    const r = spawnSync(command, [...args, tid], { encoding: 'utf8' });
    if (r.error !== undefined) return `${what}: ${command}: ${r.error.message}`;
    return r.status === 0 ? null : `${what}: ${command}: ${r.stderr.trim().split('\n')[0]}`;
  };
  const failures = [
    realtime ? run('the admin thread stays under SCHED_FIFO', 'chrt', ['--other', '--pid', '0']) : null,
    run('the admin thread runs at normal priority', 'renice', ['-n', String(ADMIN_NICE), '-p']),
    cpus === null ? null : run(`the admin thread stays on the serving thread's CPUs, not ${cpus}`, 'taskset', ['-pc', cpus]),
  ];
  return failures.filter((f): f is string => f !== null);
}

const data = workerData as AdminWorkerData;
const placementFailures = placeThisThread(data.cpus, data.realtime);
const sources = sourceViews(data.sources);
const shared = sources.main;
const metrics = new AdminMetrics(sources, data.build);
const profiles = new Profiles();
const page = dashboardPage(`respuesta server ${process.pid}`);
const history = new History(sources, metrics.gcTotals);
history.sample();
// Once a second, scraped or not: the GC ring drained into the histogram (and the totals the history reads), then a sample.
setInterval(() => {
  metrics.drainGc();
  history.sample();
}, HISTORY_PERIOD_MS).unref();

type Handler = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => void | Promise<void>;

const routes = new Map<string, Handler>([
  ['/', (_req, res) => send(res, 200, page, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': DASHBOARD_CSP })],
  ['/metrics', async (_req, res) => send(res, 200, await metrics.exposition(), { 'content-type': metrics.registry.contentType })],
  ['/stats.json', (_req, res) => sendJson(res, 200, statsSnapshot(sources, metrics.gcTotals, data.build, health(shared).live.status, data.startedAt))],
  ['/history.json', historyAnswer],
  ['/livez', (_req, res, q) => healthAnswer(res, q, health(shared).live)],
  ['/readyz', (_req, res, q) => healthAnswer(res, q, health(shared).ready)],
  // Readiness under the name some tools expect.
  ['/healthz', (_req, res, q) => healthAnswer(res, q, health(shared).ready)],
  ['/debug/profile', cpuProfile],
  ['/debug/heap', heapSnapshot],
]);
/** Named in a 404's answer: every endpoint (the test-only crash route is not one). */
const ENDPOINTS = [...routes.keys()].join(', ');
if (data.crashRoute) {
  routes.set('/debug/crash', () => {
    setImmediate(() => {
      throw new Error('crash requested at /debug/crash (RESPUESTA_ADMIN_FAULT=crash)');
    });
  });
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' }): void {
  res.writeHead(status, { 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, `${JSON.stringify(value)}\n`, { 'content-type': 'application/json' });
}

function healthAnswer(res: ServerResponse, query: URLSearchParams, h: { ok: boolean; status: string }): void {
  const status = h.ok ? 200 : 503;
  if (query.has('verbose')) sendJson(res, status, h);
  else send(res, status, `${h.ok ? 'ok' : h.status}\n`);
}

/** `GET /history.json[?after=SECONDS]`: the samples kept, or those after a time the page already has. */
function historyAnswer(_req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
  const raw = query.get('after');
  const after = raw === null ? Number.NaN : Number(raw);
  if (raw !== null && !(raw !== '' && Number.isFinite(after))) {
    send(res, 400, `after: expected a time in seconds since the epoch, as history.json gives it, got ${JSON.stringify(raw)}\n`);
    return;
  }
  sendJson(res, 200, { periodS: HISTORY_PERIOD_MS / 1000, spanS: HISTORY_SPAN_S, ...history.columns(after) });
}

function debugOff(res: ServerResponse): boolean {
  if (data.debug) return false;
  send(res, 404, 'profiles are off: start the server with --admin-debug\n');
  return true;
}

async function cpuProfile(_req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
  if (debugOff(res)) return;
  const raw = query.get('seconds') ?? '10';
  const seconds = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(seconds >= PROFILE_MIN_S && seconds <= PROFILE_MAX_S)) {
    send(res, 400, `seconds: expected an integer from ${PROFILE_MIN_S} to ${PROFILE_MAX_S}, got ${JSON.stringify(raw)}\n`);
    return;
  }
  const profile = await profiles.cpu(seconds);
  const body = JSON.stringify(profile);
  send(res, 200, body, { 'content-type': 'application/json', 'content-disposition': `attachment; filename="respuesta-${process.pid}-${Date.now()}.cpuprofile"` });
}

async function heapSnapshot(_req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (debugOff(res)) return;
  let started = false;
  await profiles.heap((chunk) => {
    if (!started) {
      started = true;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-disposition': `attachment; filename="respuesta-${process.pid}-${Date.now()}.heapsnapshot"` });
    }
    res.write(chunk);
  });
  res.end();
}

function onRequest(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://admin');
  const handler = routes.get(url.pathname);
  if (handler === undefined) {
    send(res, 404, `not found: ${url.pathname}; try ${ENDPOINTS}\n`);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, `method ${req.method} not allowed: GET or HEAD\n`, { 'content-type': 'text/plain; charset=utf-8', allow: 'GET, HEAD' });
    return;
  }
  Promise.resolve(handler(req, res, url.searchParams)).catch((err: unknown) => {
    if (res.headersSent) res.destroy();
    else if (err instanceof ProfileBusy) send(res, 409, `${err.message}\n`);
    else send(res, 500, `${err instanceof Error ? err.message : String(err)}\n`);
  });
}

const server = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: KEEP_ALIVE_MS, maxHeaderSize: MAX_HEADER_BYTES }, onRequest);
server.maxConnections = MAX_CONNECTIONS;
server.setTimeout(SOCKET_TIMEOUT_MS, (socket) => socket.destroy());
// A client that breaks HTTP gets 400 and is closed (Node's default); nothing of it reaches onRequest.
server.on('clientError', (_err, socket) => {
  if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
  else socket.destroy();
});
server.listen({ host: data.host, port: data.port, exclusive: true }, () => {
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('the admin listener has no address');
  parentPort!.postMessage({ type: 'listening', host: addr.address, port: addr.port, placementFailures } satisfies AdminListening);
});
