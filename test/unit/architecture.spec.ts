/**
 * The shape of src/, checked: imports form no cycle, they only point down the layers below,
 * and no file grows past ~250 lines without saying why at its top.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

const ROOT = resolve(__dirname, '../..');
const SRC = join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every relative import of a file, resolved to a file path relative to the repo root. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => {
      const base = resolve(dirname(file), name);
      for (const candidate of [`${base}.ts`, join(base, 'index.ts')])
        if (statSync(candidate, { throwIfNoEntry: false })?.isFile())
          return relative(ROOT, candidate);
      return relative(ROOT, base);
    });
}

const files = sourceFiles(SRC).filter((f) => !f.endsWith('.spec.ts'));
const graph = new Map(files.map((f) => [relative(ROOT, f), importsOf(f)]));

/** The area a file belongs to: `shared`, `config`, `mms/send`, …; the root files are `app`. */
function areaOf(path: string): string {
  const parts = relative('src', path).split('/');
  if (parts.length === 1) return 'app';
  return parts[0] === 'mms' && parts.length > 2 ? `mms/${parts[1]}` : parts[0];
}

/**
 * What each area may import besides itself: lower layers only. `app` (main.ts, app.module.ts,
 * app.setup.ts, start-gateway.ts, db-indexes.ts) is the composition root and may import anything.
 */
const ALLOWED: Record<string, string[]> = {
  shared: [],
  config: ['shared'],
  http: ['shared', 'config'],
  auth: ['shared', 'config'],
  metrics: ['shared', 'config', 'auth'],
  health: ['shared', 'config', 'auth'],
  throttling: ['shared', 'config', 'auth'],
  database: ['shared', 'config'],
  'mms/plivo': ['shared', 'config', 'metrics'],
  'mms/message-log': ['shared'],
  'mms/media': ['shared', 'config', 'mms/plivo'],
  'mms/send': ['shared', 'config', 'auth', 'metrics', 'mms/plivo', 'mms/message-log', 'mms/media'],
  'mms/messages': ['shared', 'config', 'auth', 'mms/message-log'],
  'mms/webhooks': ['shared', 'config', 'auth', 'metrics', 'mms/plivo', 'mms/message-log'],
  mms: ['mms/send', 'mms/messages', 'mms/webhooks'],
};

describe('architecture of src/', () => {
  it('finds the files and their imports (the checks below see the real tree)', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('src/mms/mms.module.ts')).toContain('src/mms/send/send.module.ts');
  });

  it('every area is known, so a new folder must declare what it may import', () => {
    const unknown = [...graph.keys()].map(areaOf).filter((a) => a !== 'app' && !(a in ALLOWED));
    expect([...new Set(unknown)]).toEqual([]);
  });

  it('imports only point down: each area imports itself and the layers it is allowed', () => {
    const violations = [...graph].flatMap(([file, imports]) => {
      const from = areaOf(file);
      if (from === 'app') return [];
      return imports
        .filter((target) => {
          if (!target.startsWith('src/')) return true; // src never imports sandbox/, test/, bench/
          const to = areaOf(target);
          return to !== from && !ALLOWED[from].includes(to);
        })
        .map((target) => `${file} → ${target}`);
    });
    expect(violations).toEqual([]);
  });

  it('shared and config import no feature', () => {
    const leaks = [...graph]
      .filter(([file]) => ['shared', 'config'].includes(areaOf(file)))
      .flatMap(([file, imports]) =>
        imports
          .filter((t) => !['shared', 'config'].includes(areaOf(t)))
          .map((t) => `${file} → ${t}`),
      );
    expect(leaks).toEqual([]);
  });

  it('has no import cycle', () => {
    const cycles: string[][] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file]);
        return;
      }
      state.set(file, 'visiting');
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles.map((c) => c.join(' → '))).toEqual([]);
  });

  it('no file in src/ is over 250 lines unless its first comment says why it is long', () => {
    const long = sourceFiles(SRC)
      .map((f) => ({ file: relative(ROOT, f), text: readFileSync(f, 'utf8') }))
      .filter(({ text }) => text.split('\n').length > 250)
      .filter(
        ({ text }) => !/^\/\*[^]*?\*\//.exec(text.trimStart())?.[0].includes('Long on purpose:'),
      )
      .map(({ file }) => file);
    expect(long).toEqual([]);
  });

  it("the README's Layout section names every folder of src/ and src/mms/", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const layout = /## Layout\n([^]*?)\n## /.exec(readme)?.[1] ?? '';
    const folders = (dir: string) =>
      readdirSync(dir).filter((name) => statSync(join(dir, name)).isDirectory());
    const named = (indent: string, name: string) =>
      new RegExp(`^${indent}${name}/ `, 'm').test(layout);
    const missing = [
      ...folders(SRC)
        .filter((name) => !named('  ', name))
        .map((name) => `src/${name}`),
      ...folders(join(SRC, 'mms'))
        .filter((name) => !named('    ', name))
        .map((name) => `src/mms/${name}`),
    ];
    expect(layout).toContain('src/');
    expect(missing).toEqual([]);
  });
});
