/**
 * Colour for errors, warnings and verdicts, only where it helps: on a
 * terminal, never when NO_COLOR is set (https://no-color.org) or the output
 * is piped. Tables and figures stay plain.
 */
import pc from 'picocolors';

export interface Paint {
  error(s: string): string;
  warn(s: string): string;
  ok(s: string): string;
  dim(s: string): string;
}

/** Colours for text written to `stream`, or none when it is not a colour terminal. */
export function paintFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Paint {
  const on = stream.isTTY === true && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb';
  const c = pc.createColors(on);
  return { error: (s) => c.bold(c.red(s)), warn: (s) => c.yellow(s), ok: (s) => c.bold(c.green(s)), dim: (s) => c.dim(s) };
}
