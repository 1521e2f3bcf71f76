/**
 * Line logger: one line per event, text for people or JSON for machines
 * (`--json`), in the manner of pino. Never used per message.
 */
import type { OutStream } from './program.js';

export type Fields = Record<string, unknown>;

export interface Logger {
  /** Log `event` with `fields`; `text` is the human form. */
  info(event: string, fields: Fields, text: string): void;
  warn(event: string, fields: Fields, text: string): void;
}

/**
 * A logger writing to `out` (and warnings in text form to `err`). A stream
 * that fails (a reader that closed the pipe: EPIPE) is written to no more:
 * the log is lost, the program goes on, and a server still shuts down with
 * its guarantees, rather than dying of an unhandled 'error' event.
 */
export function createLogger(json: boolean, out: OutStream = process.stdout, err: OutStream = process.stderr): Logger {
  const broken = new Set<OutStream>();
  for (const stream of new Set([out, err])) stream.on?.('error', () => broken.add(stream));
  const line = (stream: OutStream, level: string, event: string, fields: Fields, text: string) => {
    if (broken.has(stream)) return;
    stream.write(json ? JSON.stringify({ event, level, time: Date.now(), ...fields }) + '\n' : text + '\n');
  };
  return {
    info: (event, fields, text) => line(out, 'info', event, fields, text),
    warn: (event, fields, text) => line(json ? out : err, 'warn', event, fields, text),
  };
}
