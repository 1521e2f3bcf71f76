/**
 * The shell commands of a Markdown file's fenced blocks, as test/readme.test.ts
 * runs them: found, split into shell words, and rewritten by the one table of
 * substitutions (SUBSTITUTIONS) into a run that is short and touches nothing
 * outside the test's own directory and ports.
 *
 * A block is a shell block when its language is sh, bash, shell or console,
 * or when it has none and some of its lines start with the prompt `$ `
 * (a transcript: the lines after a command are its output). In a block with
 * prompts only the prompted lines are commands; in an sh block without
 * prompts every line that is not blank or a comment is one. A line ending in
 * `\` goes on on the next.
 */

/** One command of the file: the line it starts on and its text, without prompt. */
export interface ReadmeCommand {
  line: number;
  text: string;
}

const SHELL = new Set(['sh', 'bash', 'shell', 'console', 'zsh']);

/** Every command of every shell block of `markdown`, in order. */
export function readmeCommands(markdown: string): ReadmeCommand[] {
  const lines = markdown.split('\n');
  const out: ReadmeCommand[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]);
    if (open === null) continue;
    const fence = open[1];
    let end = i + 1;
    while (end < lines.length && !lines[end].trim().startsWith(fence)) end++;
    const body = lines.slice(i + 1, end);
    const prompted = body.some((l) => l.startsWith('$ '));
    if (SHELL.has(open[2]) || (open[2] === '' && prompted)) {
      for (let j = 0; j < body.length; j++) {
        let text = body[j];
        if (prompted ? !text.startsWith('$ ') : text.trim() === '' || text.trim().startsWith('#')) continue;
        const line = i + 2 + j;
        if (prompted) text = text.slice(2);
        while (text.endsWith('\\') && j + 1 < body.length) text = `${text.slice(0, -1).trimEnd()} ${body[++j].trim()}`;
        out.push({ line, text: text.trim() });
      }
    }
    i = end;
  }
  return out;
}

/**
 * A shell word: its text as written (`raw`, quotes and all, put back as is
 * when the command goes to bash), its value once unquoted, whether
 * whitespace came before it, and whether it is an operator (`|`, `&&`, `>`,
 * `;`: the end of a simple command or a redirection).
 */
export interface Word {
  raw: string;
  value: string;
  gap: boolean;
  op: boolean;
}

const OPERATOR = /[|&;<>]/;

/** Shell words of `text`, up to an unquoted `#` comment. No expansions: `$HOME` stays as written (bash expands it). */
export function shellWords(text: string): Word[] {
  const words: Word[] = [];
  let i = 0;
  while (i < text.length) {
    const gap = /\s/.test(text[i]);
    while (i < text.length && /\s/.test(text[i])) i++;
    if (i >= text.length || text[i] === '#') break;
    const start = i;
    if (OPERATOR.test(text[i])) {
      while (i < text.length && OPERATOR.test(text[i])) i++;
      words.push({ raw: text.slice(start, i), value: text.slice(start, i), gap: gap || start === 0, op: true });
      continue;
    }
    let value = '';
    while (i < text.length && !/\s/.test(text[i]) && !OPERATOR.test(text[i])) {
      const c = text[i];
      if (c === "'" || c === '"') {
        const close = text.indexOf(c, i + 1);
        if (close < 0) throw new Error(`unclosed ${c} in: ${text}`);
        value += text.slice(i + 1, close);
        i = close + 1;
      } else if (c === '\\' && i + 1 < text.length) {
        value += text[i + 1];
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    words.push({ raw: text.slice(start, i), value, gap: gap || start === 0, op: false });
  }
  return words;
}

/** Words back into a command line for bash, with the spacing they had. */
export function joinWords(words: readonly Word[]): string {
  return words.map((w, i) => (i > 0 && w.gap ? ' ' : '') + w.raw).join('');
}

/** A word written by a substitution: plain characters only, so its raw text is its value. */
export function word(value: string): Word {
  if (!/^[\w./:=,@%+-]+$/.test(value)) throw new Error(`a substituted word must need no quoting: ${value}`);
  return { raw: value, value, gap: true, op: false };
}

export type Program = 'server' | 'client' | 'benchmark';

/** What a substitution may use: the test's directory for /tmp paths, and the TCP port of the server running now (null: none). */
export interface Context {
  dir: string;
  port: number | null;
}

/**
 * One rule of the table: for `program`, the value of any of `flags` is
 * replaced by `value(given)`; when none is given and `add` says so, the flag
 * is added. A rule without `flags` rewrites every word (`each`). `why` is
 * what the test prints beside the table.
 */
export interface Substitution {
  programs: readonly Program[];
  flags?: readonly string[];
  value?: (given: string | null, ctx: Context) => string;
  add?: (args: readonly Word[]) => boolean;
  each?: (w: Word, ctx: Context) => Word;
  why: string;
}

const has = (args: readonly Word[], ...flags: string[]) => args.some((a) => flags.includes(a.value.split('=')[0]));
/** The benchmark's commands on kept results take no load options. */
const SUBCOMMANDS = new Set(['report', 'compare', 'merge', 'ab', 'help']);
/** A run of the program (not --help, --version or a subcommand of the benchmark). */
const isRun = (args: readonly Word[]) => !has(args, '-h', '--help', '-V', '--version') && !SUBCOMMANDS.has(args[0]?.value ?? '');
const fewer = (most: number) => (given: string | null) => String(Math.min(Number(given ?? most), most));

/** Every change made to a README command before it runs, and why: the one table. */
export const SUBSTITUTIONS: readonly Substitution[] = [
  {
    programs: ['server', 'client', 'benchmark'],
    each: (w, ctx) => (w.value.startsWith('/tmp/') ? word(`${ctx.dir}/${w.value.slice('/tmp/'.length)}`) : w),
    why: "paths under /tmp/ go into the test's own directory",
  },
  {
    programs: ['server'],
    flags: ['-p', '--port'],
    value: () => '0',
    add: (args) => isRun(args) && !has(args, '-u', '--unix'),
    why: 'the server takes an ephemeral port (8080, the default, may be taken here); the commands after it get that port',
  },
  {
    programs: ['server'],
    flags: ['--admin'],
    value: (given) => (given ?? '').replace(/\d+$/, '0'),
    why: 'the admin port too is an ephemeral one (its host kept)',
  },
  {
    programs: ['client', 'benchmark'],
    flags: ['-p', '--port'],
    value: (_, ctx) => String(ctx.port ?? 8080),
    add: (args) => isRun(args) && !has(args, '-u', '--unix', '--spawn-server'),
    why: 'the peers connect to the port the server above got',
  },
  { programs: ['client'], flags: ['-n', '--count'], value: fewer(2000), why: 'at most 2 000 measured round trips' },
  { programs: ['client'], flags: ['-w', '--warmup'], value: fewer(200), why: 'at most 200 round trips of warm-up' },
  { programs: ['client'], flags: ['-d', '--duration'], value: () => '0.5', why: 'a timed client run: 0.5 s' },
  { programs: ['benchmark'], flags: ['-d', '--duration'], value: () => '0.3', add: isRun, why: 'each scenario measured 0.3 s (presets too)' },
  { programs: ['benchmark'], flags: ['-w', '--warmup'], value: () => '0.1', add: isRun, why: 'each scenario warmed up 0.1 s' },
];

/** `args` (the words after the program's name) as the table rewrites them for `program`. */
export function substitute(program: Program, args: readonly Word[], ctx: Context): Word[] {
  let out = [...args];
  for (const s of SUBSTITUTIONS) {
    if (!s.programs.includes(program)) continue;
    if (s.each !== undefined) out = out.map((w) => s.each!(w, ctx));
    if (s.flags === undefined || s.value === undefined) continue;
    const at = out.findIndex((w) => s.flags!.includes(w.value.split('=')[0]));
    if (at >= 0) {
      const [flag, inline] = out[at].value.split(/=(.*)/);
      if (inline !== undefined) out[at] = word(`${flag}=${s.value(inline, ctx)}`);
      else if (at + 1 < out.length) out[at + 1] = word(s.value(out[at + 1].value, ctx));
    } else if (s.add?.(out) === true) {
      out.push(word(s.flags.at(-1)!), word(s.value(null, ctx)));
    }
  }
  return out;
}
