/**
 * README.md's commands cannot drift: every command of its shell blocks
 * (test/readme-commands.ts finds them, read at run time) either runs here,
 * shortened by the one table of substitutions, and must exit 0, or is
 * skipped by name in SKIPPED with its reason printed. A command that is
 * neither fails, so that nothing is left out silently. A renamed flag fails
 * the run that names it (the program refuses an unknown option), a renamed
 * program or file fails to start; the last test shows the first on a
 * scratch copy of the README.
 *
 * Commands run in a directory of the test's with `bin` linked to this
 * checkout's, and the installed names (`respuesta-server`, from
 * package.json's `bin`) on PATH. A server runs in the background until the
 * next server starts (as in another terminal) or the file ends; the
 * commands after it connect to it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type ServerProcess, startServerProcess } from '../src/launch/server.js';
import { ROOT, tempDir, withDeadline } from './helpers.js';
import { type Context, type Program, type ReadmeCommand, SUBSTITUTIONS, type Word, joinWords, readmeCommands, shellWords, substitute } from './readme-commands.js';

/** Commands that cannot run here, each with its reason; matched against the command as written. */
const SKIPPED: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\.\/run\.sh$/, 'the demo: about 15 s, and it keeps its runs in results/; its verdict is tested on kept runs by test/demo-verdict.test.ts'],
  [/^\.\/run\.sh test$/, 'the whole suite, of which this file is one'],
  [/^npm pack\b/, 'rebuilds dist/ (prepack deletes it first) under the test files running beside this one; test/package.test.ts packs a copy'],
  [/^npm install -g\b/, 'installs into $HOME; test/package.test.ts installs the packed package under a temporary prefix'],
  [/^\.\/bin\/benchmark ab\b/, 'needs two servers at once where the README runs one at a time; test/ab-command.test.ts runs ab against two, over TCP and Unix sockets'],
];

/** How long one command may take: the programs' runs here are short, a start-up on a loaded machine is not. */
const COMMAND_MS = 60_000;

const INSTALLED = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin;

/** The program a command's first word names: `./bin/client`, `bin/client` or an installed name; null for anything else. */
function programOf(first: string): Program | null {
  const path = INSTALLED[first] ?? first.replace(/^\.\//, '');
  const m = /^bin\/(server|client|benchmark)$/.exec(path);
  return m === null ? null : (m[1] as Program);
}

/** A directory to run commands in: `bin` linked to the checkout's, and a directory of the installed names for PATH. */
function workDir(): { dir: string; path: string } {
  const dir = tempDir();
  symlinkSync(join(ROOT, 'bin'), join(dir, 'bin'));
  const installed = join(dir, '.installed');
  mkdirSync(installed);
  for (const [name, target] of Object.entries(INSTALLED)) symlinkSync(join(ROOT, target), join(installed, name));
  return { dir, path: `${installed}:${process.env.PATH}` };
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The command line as run (after the substitutions). */
  ran: string;
}

/**
 * Runs README commands one after another, as a reader would: servers in the
 * background (stopped when the next one starts, and by `stop`), anything
 * else with bash to completion.
 */
class Runner {
  private server: ServerProcess | null = null;
  private readonly work = workDir();
  private readonly ctx: Context = { dir: this.work.dir, port: null };

  async run(text: string): Promise<Outcome> {
    const words = shellWords(text);
    const program = programOf(words[0]?.value ?? '');
    if (program === 'server' && words.every((w) => !w.op)) {
      const args = substitute('server', words.slice(1), this.ctx);
      if (!args.some((w) => ['-h', '--help', '-V', '--version'].includes(w.value))) return this.startServer(words[0].value, args);
    }
    return this.shell(this.rewrite(words));
  }

  /** Each simple command of `words` that runs one of the programs, rewritten by the table; the rest as written. */
  private rewrite(words: Word[]): string {
    const out: Word[] = [];
    let start = 0;
    for (let i = 0; i <= words.length; i++) {
      if (i < words.length && !words[i].op) continue;
      const segment = words.slice(start, i);
      const program = programOf(segment[0]?.value ?? '');
      out.push(...(program === null ? segment : [segment[0], ...substitute(program, segment.slice(1), this.ctx)]));
      if (i < words.length) out.push(words[i]);
      start = i + 1;
    }
    return joinWords(out);
  }

  private async startServer(command: string, args: Word[]): Promise<Outcome> {
    await this.stop();
    const ran = joinWords([{ raw: command, value: command, gap: false, op: false }, ...args]);
    const launcher = join(ROOT, INSTALLED[command] ?? command);
    if (!existsSync(launcher)) return { code: 127, stdout: '', stderr: `${command}: not found`, ran };
    try {
      this.server = await startServerProcess(
        args.map((a) => a.value),
        { command: launcher, cwd: this.work.dir },
      );
    } catch (err) {
      return { code: 1, stdout: '', stderr: err instanceof Error ? err.message : String(err), ran };
    }
    this.ctx.port = this.server.port ?? null;
    return { code: 0, stdout: '', stderr: '', ran };
  }

  private shell(ran: string): Promise<Outcome> {
    const p = spawn('bash', ['-c', ran], { cwd: this.work.dir, env: { ...process.env, PATH: this.work.path }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const done = new Promise<Outcome>((resolve) => p.once('close', (code) => resolve({ code, stdout, stderr, ran })));
    return withDeadline(done, `README command ${ran}`, COMMAND_MS).finally(() => p.exitCode === null && p.kill('SIGKILL'));
  }

  /** Stop the server started last, if it still runs: SIGTERM, as Ctrl-C's twin; it must exit 0. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    this.ctx.port = null;
    if (s === null) return;
    const { code } = await s.stop('SIGTERM');
    assert.equal(code, 0, `the server of the README exited ${code} on SIGTERM: ${s.stderr()}`);
  }
}

const failure = (o: Outcome) => `exit ${o.code} from: ${o.ran}\n${(o.stderr || o.stdout).trim().split('\n').slice(0, 5).join('\n')}`;

describe('README.md: every command of its shell blocks runs, or is skipped with a reason', () => {
  const commands = readmeCommands(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  const runner = new Runner();
  after(() => runner.stop());

  it('the substitutions made before a command runs (the one table)', (t) => {
    // Printed, so that a reader of the output knows how what ran differs from what the README says.
    for (const s of SUBSTITUTIONS) t.diagnostic(`${s.programs.join(', ')}${s.flags === undefined ? '' : ` ${s.flags.join(', ')}`}: ${s.why}`);
    assert.ok(SUBSTITUTIONS.length > 0);
  });

  it('finds the commands (a README without any would test nothing)', () => {
    assert.ok(commands.length >= 5, `${commands.length} commands found`);
  });

  for (const c of commands) {
    const skip = SKIPPED.find(([pattern]) => pattern.test(c.text));
    // The command without its comment, as it reads.
    const name = `line ${c.line}: ${joinWords(shellWords(c.text))}`;
    if (skip !== undefined) {
      it(name, { skip: skip[1] }, () => {});
      continue;
    }
    it(name, { timeout: COMMAND_MS * 2 }, async () => {
      const first = shellWords(c.text)[0]?.value ?? '';
      assert.ok(
        programOf(first) !== null,
        `README line ${c.line}: '${c.text}' is neither run (not one of the programs) nor in SKIPPED (test/readme.test.ts): add it there with the reason it cannot run here`,
      );
      const o = await runner.run(c.text);
      assert.equal(o.code, 0, failure(o));
    });
  }
});

describe('how the commands are found and shortened', () => {
  it('sh blocks line by line, transcripts by their prompt, a trailing backslash joined; other blocks not at all', () => {
    const md = [
      'text',
      '```sh',
      '# a comment',
      './bin/client -n 5 \\',
      '  --warmup 1',
      '',
      '```',
      '```',
      '$ ./bin/server -p 1',
      'ready: output',
      '```',
      '```',
      'src/ a layout',
      '```',
      '```ts',
      'x()',
      '```',
    ].join('\n');
    assert.deepEqual(readmeCommands(md), [
      { line: 4, text: './bin/client -n 5 --warmup 1' },
      { line: 9, text: './bin/server -p 1' },
    ]);
  });

  it('shell words: quotes unquoted in the value and kept in the text, a comment dropped, operators apart', () => {
    const w = shellWords(`./bin/benchmark --title "a b" 'c' > out.json 2>&1  # note`);
    assert.deepEqual(
      w.map((x) => x.value),
      ['./bin/benchmark', '--title', 'a b', 'c', '>', 'out.json', '2', '>&', '1'],
    );
    assert.equal(joinWords(w), `./bin/benchmark --title "a b" 'c' > out.json 2>&1`);
  });

  it('substitutions replace a value where given, add the flag where the program would take its long default, never drop a word', () => {
    const ctx = { dir: '/t', port: 4321 };
    const client = substitute('client', shellWords('--count 100000 --unix /tmp/r.sock --bogus 1'), ctx).map((x) => x.value);
    assert.deepEqual(client, ['--count', '2000', '--unix', '/t/r.sock', '--bogus', '1']);
    const bench = substitute('benchmark', shellWords('-c 1,16 -d=10'), ctx).map((x) => x.value);
    assert.deepEqual(bench, ['-c', '1,16', '-d=0.3', '--port', '4321', '--warmup', '0.1']);
    assert.deepEqual(
      substitute('benchmark', shellWords('report a.json --html b.html'), ctx).map((x) => x.value),
      ['report', 'a.json', '--html', 'b.html'],
    );
    assert.deepEqual(
      substitute('server', shellWords('--port 8080 --admin 9464'), ctx).map((x) => x.value),
      ['--port', '0', '--admin', '0'],
    );
  });
});

describe('a README whose command names a flag that does not exist', () => {
  it('fails that command (a scratch copy, one flag renamed)', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const target = readmeCommands(readme).find((c: ReadmeCommand) => programOf(shellWords(c.text)[0]?.value ?? '') === 'client' && /\s--[a-z]/.test(c.text));
    assert.ok(target !== undefined, 'README.md has a bin/client command with a long option');
    const flag = /\s(--[a-z][a-z-]*)/.exec(target.text)![1];
    const lines = readme.split('\n');
    lines[target.line - 1] = lines[target.line - 1].replace(flag, `${flag}x`);
    const scratch = join(tempDir(), 'README.md');
    writeFileSync(scratch, lines.join('\n'));
    const renamed = readmeCommands(readFileSync(scratch, 'utf8')).find((c) => c.line === target.line)!;
    assert.ok(renamed.text.includes(`${flag}x`), renamed.text);
    const o = await new Runner().run(renamed.text);
    assert.equal(o.code, 2, failure(o));
    assert.match(o.stderr, new RegExp(`unknown option.*${flag}x\\b`));
  });
});
