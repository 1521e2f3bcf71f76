/**
 * What a person should check when a run against a server goes wrong, for
 * the programs that connect to one (bin/client and bin/benchmark): nothing
 * listens where they connect, or no right reply comes back. One wording for
 * both, each naming itself and the options it was given, and the server's
 * command as this program was called (installed or in a checkout).
 */
import type { Target } from '../io/connect.js';
import type { Framing, ClientMode } from '../protocol/index.js';
import { DEFAULT_RESPONSE, programName } from './args.js';

/** The workload options a hint names. */
export interface ReplyOptions {
  framing: Framing;
  mode: ClientMode;
  response: string;
}

/**
 * How to run one of the other programs, as this one was run: `respuesta-server`
 * when installed (the launchers on PATH are called so, and RESPUESTA_PROGRAM
 * says which name this one was called by: bin/launch.sh), `bin/server` in a
 * checkout, whose bin/ is not on PATH.
 */
export function commandFor(other: 'server' | 'client' | 'benchmark'): string {
  return programName('').startsWith('respuesta-') ? `respuesta-${other}` : `bin/${other}`;
}

/** Connection errors that mean nothing listens there: a closed TCP port, or no socket file at the path. */
const NOTHING_LISTENS = new Set(['ECONNREFUSED', 'ENOENT']);

/** The errno code of a failed connection: its own, or its cause's (connectTo wraps the socket's error). */
function errnoOf(err: unknown): string | undefined {
  for (let e: unknown = err; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * When a connection failed because nothing listens at `target`: the command
 * that starts a server there for these options (framing, reply), and, for
 * the benchmark (`spawnOption`), its --spawn-server. Null for any other
 * failure (a timeout, a refused permission), which the error says alone.
 */
export function connectHint(err: unknown, target: Target, o: ReplyOptions, spawnOption: boolean): string | null {
  const code = errnoOf(err);
  if (code === undefined || !NOTHING_LISTENS.has(code)) return null;
  const args =
    target.transport === 'unix'
      ? ['--unix', target.path]
      : target.transport === 'udp'
        ? ['--udp', target.host === '127.0.0.1' ? String(target.port) : `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`]
        : target.host === '127.0.0.1'
          ? ['--port', String(target.port)]
          : ['--host', target.host, '--port', String(target.port)];
  if (o.framing !== 'length') args.push('--framing', o.framing);
  const ownReplies = o.framing === 'sockperf' || o.framing === 'resp';
  if (!ownReplies && o.mode === 'echo') args.push('--mode', o.mode);
  if (!ownReplies && o.mode === 'fixed' && o.response !== DEFAULT_RESPONSE) args.push('--response', shellWord(o.response));
  const start = `${commandFor('server')} ${args.join(' ')}`;
  return `nothing listens there: start a server (${start})${spawnOption ? ', or add --spawn-server to start one for the run' : ''}`;
}

/** A word as a shell needs it typed. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * When no right reply came back, the two sides most likely disagree on the
 * framing (nothing decodes, or the server closes on what it cannot parse),
 * or on the reply (--mode, --response): say which to check. `who` is the
 * program ("client", "benchmark"); `wrong` says replies came but were not
 * the expected ones.
 */
export function replyHint(who: string, o: ReplyOptions, wrong: boolean): string {
  if (wrong && o.framing === 'resp')
    return 'the replies are not the ones expected (+PONG to PING, the argument back to ECHO): the first wrong one is quoted above; is it a RESP server (redis-server, or bin/server --framing resp)?';
  if (wrong) {
    const expected = o.framing === 'sockperf' ? "sockperf's reply" : o.mode === 'echo' ? 'an echo' : o.mode === 'any' ? 'any framed reply' : `the fixed reply ${JSON.stringify(o.response)}`;
    return `the replies are not the ones expected (${expected}): check --mode and --response (and --framing) against the server's`;
  }
  return `no reply came back: check that the server runs with the same --framing (this ${who}: ${o.framing}), and --mode/--response; the server's log says what it read`;
}
