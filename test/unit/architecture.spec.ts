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

/**
 * Every import of a file inside the repo (relative, or from the tsconfig baseUrl such as
 * `src/...`), resolved to a path relative to the repo root; packages are kept by name.
 */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map(({ fileName: name }) => {
    const inRepo = name.startsWith('.') || /^(src|sandbox|test|bench)\//.test(name);
    if (!inRepo) return `package:${name.split('/')[0]}`;
    const base = name.startsWith('.') ? resolve(dirname(file), name) : join(ROOT, name);
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
  'mms/opt-outs': ['shared', 'config', 'auth', 'metrics'],
  'mms/client-callbacks': ['shared', 'config', 'metrics', 'mms/message-log'],
  'mms/pacing': ['shared', 'config'],
  // Sender pools: which numbers a client has, which one a send goes from (sticky, area code,
  // soonest under pacing), and GET /senders.
  'mms/senders': ['shared', 'config', 'auth', 'metrics', 'mms/message-log', 'mms/pacing'],
  'mms/send': [
    'shared',
    'config',
    'auth',
    'metrics',
    'mms/plivo',
    'mms/message-log',
    'mms/media',
    'mms/opt-outs',
    'mms/client-callbacks',
    'mms/pacing',
    'mms/senders',
  ],
  // Campaigns: one request to many recipients, created in bulk as ordinary held messages.
  'mms/campaigns': [
    'shared',
    'config',
    'auth',
    'metrics',
    'mms/message-log',
    'mms/media',
    'mms/opt-outs',
    'mms/client-callbacks',
    'mms/pacing',
    'mms/senders',
    'mms/send',
    // GET /campaigns/{id}/messages: the message view and cursor of GET /messages.
    'mms/messages',
    // Plivo's limits (text length, media count) bound the request as on sends.
    'mms/plivo',
  ],
  // The queue sends what the gateway holds through the send path's delivery (DeliverMessageUseCase).
  'mms/dispatch': [
    'shared',
    'config',
    'auth',
    'metrics',
    'mms/plivo',
    'mms/message-log',
    'mms/media',
    'mms/opt-outs',
    'mms/pacing',
    'mms/senders',
    'mms/campaigns',
    'mms/send',
    'mms/messages',
  ],
  'mms/messages': ['shared', 'config', 'auth', 'mms/message-log'],
  'mms/webhooks': [
    'shared',
    'config',
    'auth',
    'metrics',
    'mms/plivo',
    'mms/message-log',
    'mms/opt-outs',
    'mms/client-callbacks',
    'mms/senders',
    // Inbound STOP/START/HELP replies go out through the send path (SendReplyUseCase): logged,
    // counted and suppression-checked like any message. send/ never imports webhooks/.
    'mms/send',
    // The webhooks' rate limit is a route guard after the signature guard (WebhookThrottlerGuard).
    'throttling',
  ],
  mms: [
    'mms/send',
    'mms/messages',
    'mms/webhooks',
    'mms/opt-outs',
    'mms/dispatch',
    'mms/senders',
    'mms/campaigns',
  ],
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
          if (target.startsWith('package:')) return false;
          if (!target.startsWith('src/')) return true; // src never imports sandbox/, test/, bench/
          const to = areaOf(target);
          return to !== from && !ALLOWED[from].includes(to);
        })
        .map((target) => `${file} → ${target}`);
    });
    expect(violations).toEqual([]);
  });

  it('no file of src/, entry points included, imports the sandbox, the tests or the bench', () => {
    // The production entry point (src/main.ts) must never be able to start the simulator or the
    // embedded database: they live in sandbox/, which the build leaves out.
    const outside = [...graph].flatMap(([file, imports]) =>
      imports
        .filter((t) => !t.startsWith('package:') && !t.startsWith('src/'))
        .map((t) => `${file} → ${t}`),
    );
    expect(graph.has('src/main.ts')).toBe(true);
    expect(outside).toEqual([]);
  });

  it('shared and config import no feature', () => {
    const leaks = [...graph]
      .filter(([file]) => ['shared', 'config'].includes(areaOf(file)))
      .flatMap(([file, imports]) =>
        imports
          .filter((t) => !t.startsWith('package:') && !['shared', 'config'].includes(areaOf(t)))
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
      for (const next of graph.get(file) ?? [])
        if (!next.startsWith('package:')) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles.map((c) => c.join(' → '))).toEqual([]);
  });

  it('the layers themselves form no cycle (so "down" means something)', () => {
    const cyclic: string[] = [];
    const reaches = (from: string, to: string, seen = new Set<string>()): boolean =>
      (ALLOWED[from] ?? []).some(
        (next) => next === to || (!seen.has(next) && (seen.add(next), reaches(next, to, seen))),
      );
    for (const area of Object.keys(ALLOWED)) if (reaches(area, area)) cyclic.push(area);
    expect(cyclic).toEqual([]);
  });

  it('only the Plivo module touches the Plivo SDK and PlivoService; the rest sees the port', () => {
    const users = [...graph]
      .filter(([file]) => areaOf(file) !== 'mms/plivo')
      .filter(([, imports]) =>
        imports.some((t) => t === 'package:plivo' || t === 'src/mms/plivo/plivo.service.ts'),
      )
      .map(([file]) => file);
    expect(users).toEqual([]);
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

  it("the README's Layout section is the tree: every folder listed, every listed path real", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const layout = /## Layout\n[^]*?```\n([^]*?)```/.exec(readme)?.[1] ?? '';
    // "  name/  description" or "  name.ts  description": a path, nested by indentation.
    const listed: string[] = [];
    const stack: { indent: number; path: string }[] = [];
    for (const line of layout.split('\n')) {
      const m = /^( *)([\w.@-]+(?:\/[\w.@-]+)*\/?)(?: {2,}|$)/.exec(line);
      if (!m || !/\/$|\.(ts|js)$/.test(m[2])) continue;
      const indent = m[1].length;
      while (stack.length > 0 && stack[stack.length - 1].indent >= indent) stack.pop();
      const path = join(stack[stack.length - 1]?.path ?? '', m[2]).replace(/\/$/, '');
      listed.push(path);
      if (m[2].endsWith('/')) stack.push({ indent, path });
    }
    const folders = (dir: string): string[] =>
      readdirSync(join(ROOT, dir))
        .filter((name) => statSync(join(ROOT, dir, name)).isDirectory())
        .map((name) => join(dir, name));
    const mustBeListed = [
      'src',
      ...folders('src'),
      ...folders('src/mms'),
      ...folders('src/mms').flatMap(folders),
      'sandbox',
      ...folders('sandbox'),
      'test',
      ...folders('test'),
      'bench',
    ];
    // A folder counts as listed when it, or a path inside it, is.
    const missing = mustBeListed.filter(
      (dir) => !listed.some((path) => path === dir || path.startsWith(`${dir}/`)),
    );
    const phantom = listed.filter((path) => !statSync(join(ROOT, path), { throwIfNoEntry: false }));
    expect(listed.length).toBeGreaterThan(30);
    expect({ missing, phantom }).toEqual({ missing: [], phantom: [] });
  });

  it('no two classes of src/ share a name: Swagger names each schema by its class, and merges two', () => {
    const byName = new Map<string, string[]>();
    for (const file of files)
      for (const [, name] of readFileSync(file, 'utf8').matchAll(/^export class (\w+)/gm))
        byName.set(name, [...(byName.get(name) ?? []), relative(ROOT, file)]);
    expect(byName.size).toBeGreaterThan(40);
    expect([...byName].filter(([, where]) => where.length > 1)).toEqual([]);
  });
});
