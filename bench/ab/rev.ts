/**
 * Another revision of the project, built beside this one: its files as git
 * has them (git archive, so no worktree is left registered), its
 * dependencies, and its dist/. Kept under $TMPDIR/respuesta-ab-SHA and
 * reused by the next run that asks for the same commit.
 */
import { execFileSync, execSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Revision {
  sha: string;
  tree: string;
}

function git(root: string, ...args: string[]): string {
  return execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' }).trim();
}

/** This tree's commit, with a `+` when src/ has changes not committed. */
export function describeHere(root: string): string {
  return git(root, 'rev-parse', '--short', 'HEAD') + (git(root, 'status', '--porcelain', '--', 'src') === '' ? '' : '+');
}

/**
 * Build commit `rev` once (progress on stderr). Its node_modules is this
 * tree's when its package-lock.json is the same as this tree's (no install);
 * otherwise `npm ci` installs what its lock file says.
 */
export function buildRevision(root: string, rev: string): Revision {
  const sha = git(root, 'rev-parse', '--short', `${rev}^{commit}`);
  const tree = join(tmpdir(), `respuesta-ab-${sha}`);
  if (existsSync(join(tree, 'dist', 'server', 'main.js'))) return { sha, tree };
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(tree, { recursive: true });
  process.stderr.write(`bench/ab.ts: building ${sha} in ${tree}\n`);
  execSync(`git -C '${root}' archive --format=tar ${sha} | tar -x -C '${tree}'`, { stdio: ['ignore', 'ignore', 'inherit'] });
  const sameLock = spawnSync('git', ['-C', root, 'diff', '--quiet', sha, '--', 'package-lock.json']).status === 0;
  if (sameLock) symlinkSync(realpathSync(join(root, 'node_modules')), join(tree, 'node_modules'));
  else execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: tree, stdio: ['ignore', 2, 2] });
  execFileSync(join(tree, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: tree, stdio: ['ignore', 2, 2] });
  return { sha, tree };
}
