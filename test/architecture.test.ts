/**
 * The layout of src/ cannot drift: every import of every src/**\/*.ts file
 * (static, `import type`, `export ... from`, and `import()` with a literal,
 * in a type position too; TypeScript's own pre-processor finds them, so
 * that comments and strings are not read as imports) is checked against the
 * layers of docs/OPERATIONS.md's "Source layout":
 *
 * - no import cycle between files;
 * - a lower layer never imports a program folder, types included;
 * - program folders do not import one another, except the benchmark
 *   dispatching to the saved-results commands and the server starting its
 *   admin port;
 * - every folder of src/ is a layer or a program (a new one is placed here);
 * - no file of src/ is over 300 lines.
 *
 * Each failure names the files. The checks are pure functions over a map of
 * files, tested first on small fixtures, so that a rule that stopped finding
 * anything would fail here rather than pass on the real tree.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { ROOT } from './helpers.js';

/**
 * Layers below the programs: shared code that never imports a program. In
 * order, lowest first: a layer imports only the layers before it
 * (docs/ARCHITECTURE.md draws them).
 */
const LAYERS = ['protocol', 'stats', 'io', 'machine', 'cli', 'load', 'launch', 'report', 'html', 'output'] as const;
/** Program folders: each imports layers, and another program only as ALLOWED says. */
const PROGRAMS = ['server', 'admin', 'client', 'benchmark', 'results', 'demo'] as const;
/** Program folder -> the program folders it may import. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  // `benchmark report|compare|merge`: benchmark/main.ts dispatches to them.
  benchmark: ['results'],
  // The server starts its admin port; admin reads a narrow stats interface of its own, never src/server.
  server: ['admin'],
};
const MAX_LINES = 300;

/** File (`src/a/b.ts`, POSIX) -> the src files it imports. */
type Graph = Map<string, string[]>;

/** Every .ts file under `dir`, as paths from ROOT with forward slashes. */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out.sort();
}

/**
 * The import graph of `files` (path -> text): relative specifiers resolved
 * to the files given (`./x.js` is `./x.ts`). A relative specifier that names
 * no file given is an error, so that a stale path cannot hide an edge.
 */
function importGraph(files: ReadonlyMap<string, string>): { graph: Graph; unresolved: string[] } {
  const graph: Graph = new Map();
  const unresolved: string[] = [];
  for (const [file, text] of files) {
    const edges: string[] = [];
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue; // node:*, packages
      const base = posix.normalize(posix.join(posix.dirname(file), fileName)).replace(/\.js$/, '');
      const target = [`${base}.ts`, `${base}/index.ts`].find((p) => files.has(p));
      if (target === undefined) unresolved.push(`${file} imports ${fileName}, which is no file of src/`);
      else if (!edges.includes(target)) edges.push(target);
    }
    graph.set(file, edges);
  }
  return { graph, unresolved };
}

/** The folder under src/ a file is in (`src/report/client.ts`: report). */
const folderOf = (file: string) => file.split('/')[1];

/**
 * The import cycles of `graph`, one per strongly connected group of files
 * (Tarjan), each written as a path through it back to its start:
 * `src/a.ts -> src/b.ts -> src/a.ts`.
 */
function importCycles(graph: Graph): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || (graph.get(v) ?? []).includes(v)) groups.push(group);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return groups.map((group) => cyclePath(graph, group).join(' -> '));
}

/** One cycle through the first file (in sorted order) of a strongly connected group, by breadth-first search within it. */
function cyclePath(graph: Graph, group: readonly string[]): string[] {
  const inGroup = new Set(group);
  const start = [...group].sort()[0];
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!inGroup.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = from.get(u)!) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...group, group[0]];
}

/** Imports from a lower layer into a program folder: `src/html/runs.ts imports src/client/report.ts (program client)`. */
function layerViolations(graph: Graph): string[] {
  const out: string[] = [];
  for (const [file, edges] of graph) {
    if (!(LAYERS as readonly string[]).includes(folderOf(file))) continue;
    for (const to of edges) if ((PROGRAMS as readonly string[]).includes(folderOf(to))) out.push(`${file} imports ${to} (layer ${folderOf(file)} -> program ${folderOf(to)})`);
  }
  return out;
}

/** Imports from a layer into itself or one before it are the only ones allowed between layers: `src/cli/x.ts imports src/html/y.ts (layer cli -> layer html, above it)`. */
function orderViolations(graph: Graph): string[] {
  const rank = (file: string) => (LAYERS as readonly string[]).indexOf(folderOf(file));
  const out: string[] = [];
  for (const [file, edges] of graph) {
    const from = rank(file);
    if (from < 0) continue;
    for (const to of edges) if (rank(to) > from) out.push(`${file} imports ${to} (layer ${folderOf(file)} -> layer ${folderOf(to)}, above it)`);
  }
  return out;
}

/** Imports between program folders that ALLOWED does not list. */
function programViolations(graph: Graph): string[] {
  const out: string[] = [];
  for (const [file, edges] of graph) {
    const from = folderOf(file);
    if (!(PROGRAMS as readonly string[]).includes(from)) continue;
    for (const to of edges) {
      const there = folderOf(to);
      if (there !== from && (PROGRAMS as readonly string[]).includes(there) && !(ALLOWED[from] ?? []).includes(there)) {
        out.push(`${file} imports ${to} (program ${from} -> program ${there})`);
      }
    }
  }
  return out;
}

/** Files in a folder of src/ that is neither a layer nor a program, or directly in src/. */
function unplacedFiles(files: Iterable<string>): string[] {
  const known = new Set<string>([...LAYERS, ...PROGRAMS]);
  return [...files].filter((f) => f.split('/').length < 3 || !known.has(folderOf(f))).map((f) => `${f} (folder ${folderOf(f)} is neither a layer nor a program)`);
}

/** Files over MAX_LINES lines, as `wc -l` counts them. */
function longFiles(files: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [file, text] of files) {
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    if (lines > MAX_LINES) out.push(`${file}: ${lines} lines`);
  }
  return out;
}

/** Fail with every finding, one per line, under `what`. */
function assertNone(findings: readonly string[], what: string): void {
  assert.equal(findings.length, 0, `${what}:\n  ${findings.join('\n  ')}`);
}

describe('architecture checks, on fixtures', () => {
  const fixture = (entries: Record<string, string>) => new Map(Object.entries(entries));

  it('finds imports of every kind, and no import in a comment or a string', () => {
    const { graph, unresolved } = importGraph(
      fixture({
        'src/cli/a.ts': [
          "import { b } from './b.js';",
          "import type { C } from '../stats/c.js';",
          "export { d } from './d.js';",
          "type E = import('./e.js').E;",
          "const f = await import('../io/index.js');",
          "// import { g } from './g.js';",
          'const h = "import { h } from \'./h.js\'";',
          "import { readFileSync } from 'node:fs';",
        ].join('\n'),
        'src/cli/b.ts': '',
        'src/stats/c.ts': '',
        'src/cli/d.ts': '',
        'src/cli/e.ts': '',
        'src/io/index.ts': '',
      }),
    );
    assert.deepEqual(unresolved, []);
    assert.deepEqual(graph.get('src/cli/a.ts'), ['src/cli/b.ts', 'src/stats/c.ts', 'src/cli/d.ts', 'src/cli/e.ts', 'src/io/index.ts']);
  });

  it('names an import of a file that does not exist', () => {
    const { unresolved } = importGraph(fixture({ 'src/cli/a.ts': "import { x } from './gone.js';" }));
    assert.deepEqual(unresolved, ['src/cli/a.ts imports ./gone.js, which is no file of src/']);
  });

  it('finds a cycle, type imports included, and names its files in order', () => {
    const { graph } = importGraph(
      fixture({
        'src/load/a.ts': "import { b } from './b.js';",
        'src/load/b.ts': "import type { C } from './c.js';",
        'src/load/c.ts': "import { a } from './a.js';",
        'src/load/d.ts': "import { a } from './a.js';",
        'src/load/self.ts': "import { s } from './self.js';",
      }),
    );
    assert.deepEqual(importCycles(graph).sort(), ['src/load/a.ts -> src/load/b.ts -> src/load/c.ts -> src/load/a.ts', 'src/load/self.ts -> src/load/self.ts']);
  });

  it('finds a layer importing a program, and programs importing one another beyond what is allowed', () => {
    const { graph } = importGraph(
      fixture({
        'src/html/runs.ts': "import type { ClientReport } from '../client/report.js';\nimport { x } from '../report/client.js';",
        'src/client/report.ts': '',
        'src/report/client.ts': '',
        'src/demo/main.ts': "import { y } from '../benchmark/text.js';",
        'src/benchmark/text.ts': '',
        'src/benchmark/main.ts': "await import('../results/compare.js');",
        'src/results/compare.ts': '',
        'src/admin/index.ts': "import type { ResponderServer } from '../server/server.js';",
        'src/server/server.ts': "import { startAdmin } from '../admin/index.js';",
      }),
    );
    assert.deepEqual(layerViolations(graph), ['src/html/runs.ts imports src/client/report.ts (layer html -> program client)']);
    assert.deepEqual(orderViolations(graph), []);
    assert.deepEqual(programViolations(graph), [
      'src/demo/main.ts imports src/benchmark/text.ts (program demo -> program benchmark)',
      'src/admin/index.ts imports src/server/server.ts (program admin -> program server)',
    ]);
  });

  it('finds a layer importing a layer above it, and lets it import its own and those below', () => {
    const { graph } = importGraph(
      fixture({
        'src/cli/output.ts': "import { page } from '../html/write.js';\nimport { parse } from './args.js';",
        'src/cli/args.ts': "import { FRAMINGS } from '../protocol/index.js';",
        'src/protocol/index.ts': '',
        'src/html/write.ts': "import type { RunMeta } from '../cli/meta.js';",
        'src/cli/meta.ts': '',
      }),
    );
    assert.deepEqual(orderViolations(graph), ['src/cli/output.ts imports src/html/write.ts (layer cli -> layer html, above it)']);
  });

  it('finds a file outside every layer and program, and a file over 300 lines', () => {
    assert.deepEqual(unplacedFiles(['src/report/a.ts', 'src/misc/b.ts', 'src/c.ts']), [
      'src/misc/b.ts (folder misc is neither a layer nor a program)',
      'src/c.ts (folder c.ts is neither a layer nor a program)',
    ]);
    const lines = (n: number) => 'x\n'.repeat(n);
    assert.deepEqual(longFiles(fixture({ 'src/a.ts': lines(300), 'src/b.ts': lines(301), 'src/c.ts': `${lines(300)}x` })), ['src/b.ts: 301 lines', 'src/c.ts: 301 lines']);
  });
});

describe('src/ as it is', () => {
  const files = new Map(sourceFiles('src').map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));
  const { graph, unresolved } = importGraph(files);

  it('is read whole: every relative import resolves to a file of src/', () => {
    // A tree read wrong (no files, no edges) would pass every rule below.
    assert.ok(files.size > 50, `only ${files.size} files under src/`);
    assert.ok([...graph.values()].reduce((n, e) => n + e.length, 0) > files.size, 'fewer imports than files');
    assertNone(unresolved, 'imports that name no file');
  });

  it('has every file in a layer or a program folder', () => {
    assertNone(unplacedFiles(files.keys()), `files outside the layers (${LAYERS.join(', ')}) and programs (${PROGRAMS.join(', ')})`);
  });

  it('has no import cycle between files', () => {
    assertNone(importCycles(graph), 'import cycles');
  });

  it('has no lower layer importing a program folder, types included', () => {
    assertNone(layerViolations(graph), 'a layer imports a program');
  });

  it(`has each layer importing only itself and those below it (${LAYERS.join(' < ')})`, () => {
    assertNone(orderViolations(graph), 'a layer imports one above it');
  });

  it('has no program folder importing another, but benchmark -> results and server -> admin', () => {
    assertNone(programViolations(graph), 'a program imports another');
  });

  it(`has no file over ${MAX_LINES} lines`, () => {
    assertNone(longFiles(files), `files over ${MAX_LINES} lines`);
  });
});

describe('docs/ARCHITECTURE.md', () => {
  it('names only files and folders that exist', () => {
    const text = readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');
    const named = [...new Set(text.match(/\b(?:src|test|bench|bin|docs)\/[\w./-]*\w/g) ?? [])];
    assert.ok(named.length > 30, `only ${named.length} paths named`);
    const missing = named.filter((p) => !existsSync(join(ROOT, p)));
    assertNone(missing, 'paths named in docs/ARCHITECTURE.md that do not exist');
  });
});
