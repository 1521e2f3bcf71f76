/**
 * Line logger: one line per event, text for people or JSON for machines
 * (`--json`), in the manner of pino. Never used per message.
 */
export type Fields = Record<string, unknown>;

export interface Logger {
  /** Log `event` with `fields`; `text` is the human form. */
  info(event: string, fields: Fields, text: string): void;
  warn(event: string, fields: Fields, text: string): void;
}

export function createLogger(json: boolean, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Logger {
  const line = (stream: NodeJS.WritableStream, level: string, event: string, fields: Fields, text: string) => {
    stream.write(json ? JSON.stringify({ event, level, time: Date.now(), ...fields }) + '\n' : text + '\n');
  };
  return {
    info: (event, fields, text) => line(out, 'info', event, fields, text),
    warn: (event, fields, text) => line(json ? out : err, 'warn', event, fields, text),
  };
}
