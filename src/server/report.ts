import type { ServerOptions, ServerSummary } from './server.js';

/** Human one-liners for the server's log; JSON mode logs the fields instead. */
export function describeConfig(o: ServerOptions): string {
  const reply = o.framing === 'sockperf' ? "sockperf server's reply" : o.mode === 'echo' ? 'echo' : `fixed ${JSON.stringify(o.response)}`;
  return `respuesta server pid ${process.pid}: framing=${o.framing} reply=${reply} max-frame=${o.maxFrame} grace-ms=${o.graceMs}`;
}

export function describeSummary(s: ServerSummary): string {
  return (
    `summary: ${s.connections} connections, ${s.messages} messages answered` +
    (s.ignored > 0 ? ` (${s.ignored} ignored)` : '') +
    `, ${s.bytesIn} bytes in, ${s.bytesOut} bytes out, ${s.protocolErrors} protocol errors, ` +
    `${s.socketErrors} socket errors, ${s.forcedCloses} forced closes, ` +
    `GC ${s.gc.count} (${s.gc.minor} minor, ${s.gc.major} major, ${s.gc.pauseMs.toFixed(3)} ms pause), up ${(s.uptimeMs / 1000).toFixed(1)} s`
  );
}
