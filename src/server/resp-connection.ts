/**
 * `--framing resp`: answer as redis-server answers. PING gets +PONG, PING
 * and ECHO with an argument get it back as a bulk string, any other
 * command Redis's "unknown command" error, so that real clients go on past
 * what they send at start-up (CONFIG GET, COMMAND DOCS). The replies of one
 * read go out in one write, through the echo connections' shared output
 * buffer and under the same output bound (connection.ts).
 */
import { codecs, ErrorCodes } from '../protocol/index.js';
import type { RespCommandDecoder } from '../protocol/resp.js';
import { PONG, bulkSize, protocolErrorReply, unknownCommandReply, wrongArityReply, writeBulk } from '../protocol/resp-replies.js';
import type { Transport } from '../io/transport.js';
import { Connection, type ConnectionOwner, echoOutput } from './connection.js';

const PING_ARITY = wrongArityReply('ping');
const ECHO_ARITY = wrongArityReply('echo');

/** Is `buf[start, end)` the upper-case ASCII word `w`, in any case? No string is made. */
function isCommand(buf: Buffer, start: number, end: number, w: string): boolean {
  if (end - start !== w.length) return false;
  for (let i = 0; i < w.length; i++) if ((buf[start + i] & 0xdf) !== w.charCodeAt(i)) return false;
  return true;
}

function put(reply: Buffer): void {
  const out = echoOutput;
  out.reserve(reply.length);
  for (let i = 0; i < reply.length; i++) out.buf[out.len + i] = reply[i];
  out.len += reply.length;
}

export class RespConnection extends Connection {
  /** The decoder, as the command decoder it is: where each command's arguments are. */
  private readonly commands: RespCommandDecoder;
  /** Replies in the batch being built. */
  private count = 0;

  constructor(owner: ConnectionOwner, transport: Transport, peer: string, maxFrame: number) {
    super(owner, transport, peer, codecs.resp, maxFrame);
    this.commands = this.decoder as RespCommandDecoder;
  }

  onMessage(): void {
    const d = this.commands;
    const buf = d.argBuf;
    const argc = d.argc;
    const s = d.argStart[0];
    const e = d.argEnd[0];
    this.count++;
    if (isCommand(buf, s, e, 'PING')) {
      if (argc === 1) put(PONG);
      else if (argc === 2) this.bulk(buf, d.argStart[1], d.argEnd[1]);
      else put(PING_ARITY);
    } else if (isCommand(buf, s, e, 'ECHO')) {
      if (argc === 2) this.bulk(buf, d.argStart[1], d.argEnd[1]);
      else put(ECHO_ARITY);
    } else put(unknownCommandReply(buf, argc, d.argStart, d.argEnd));
  }

  private bulk(buf: Buffer, start: number, end: number): void {
    const out = echoOutput;
    out.reserve(bulkSize(end - start));
    out.len = writeBulk(buf, start, end, out.buf, out.len);
  }

  /**
   * As Connection's, and a protocol error is answered with Redis's text
   * after the replies to the commands before it, then the connection
   * closes. A command over the size limit closes it without a reply, as
   * Redis does past its query buffer limit.
   */
  override onData(buf: Buffer, start: number, end: number): void {
    this.idleTicks = 0;
    if (this.closing) return;
    this.owner.stats.bytesIn += end - start;
    const err = this.decoder.push(buf, start, end);
    if (err !== null && err.code !== ErrorCodes.RESP_COMMAND_TOO_LARGE) put(protocolErrorReply(err.message));
    this.flush(err !== null);
    if (err !== null) this.owner.onProtocolError(this, err);
  }

  protected flush(errorReply = false): void {
    if (this.count === 0 && !errorReply) return;
    this.owner.stats.messages += this.count;
    this.count = 0;
    if (echoOutput.len === 0) return;
    this.write(echoOutput.take());
    echoOutput.release(this.writer.pending() > 0);
  }
}
