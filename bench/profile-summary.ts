/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`, or bench/profiler-hook.ts under
 * `npm run bench -- --profile`): self time per package, per function, and per function of our
 * own code (`app:` frames: the service's dist/, the baselines' dist/bench/), so a bench run can
 * say where the service spends its CPU.
 *
 *   node -r ts-node/register/transpile-only bench/profile-summary.ts bench/results/x.cpuprofile
 */
import { readFileSync } from 'node:fs';

interface CpuProfileNode {
  id: number;
  callFrame: {
    functionName: string;
    url: string;
    lineNumber: number;
    columnNumber: number;
  };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  selfMs: number;
  /** Share of the busy (non-idle) time. */
  pct: number;
}

export interface ProfileSummary {
  file: string;
  wallMs: number;
  busyMs: number;
  idleMs: number;
  topFunctions: ProfileEntry[];
  byPackage: ProfileEntry[];
  /** Our own functions only (the `app:` categories). */
  ownFunctions: ProfileEntry[];
}

/** node_modules/<pkg> (scoped kept), node:internal modules, our dist/ files, V8 pseudo-frames. */
export function categoryOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) return url.replace(/^node:internal\//, 'node:').split('/')[0];
  const dist = url.indexOf('/dist/');
  if (dist >= 0)
    return `app:${
      url
        .slice(dist + 6)
        .split('/')
        .slice(0, -1)
        .join('/') || '.'
    }`;
  return url;
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

export function summarizeCpuProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time since the previous sample; attribute it to sample i.
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const fnTotals = new Map<string, number>();
  const pkgTotals = new Map<string, number>();
  const ownTotals = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    totalUs += us;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const name = url
      ? `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`
      : functionName || '(anonymous)';
    fnTotals.set(name, (fnTotals.get(name) ?? 0) + us);
    const pkg = categoryOf(url, functionName);
    pkgTotals.set(pkg, (pkgTotals.get(pkg) ?? 0) + us);
    if (pkg.startsWith('app:')) ownTotals.set(name, (ownTotals.get(name) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({
        name,
        selfMs: Math.round(us / 1000),
        pct: busyUs > 0 ? Math.round((1000 * us) / busyUs) / 10 : 0,
      }));
  return {
    file,
    wallMs: Math.round((profile.endTime - profile.startTime) / 1000),
    busyMs: Math.round(busyUs / 1000),
    idleMs: Math.round(idleUs / 1000),
    topFunctions: rank(fnTotals),
    byPackage: rank(pkgTotals),
    ownFunctions: rank(ownTotals),
  };
}

export function formatProfileSummary(s: ProfileSummary): string {
  const rows = (entries: ProfileEntry[]) =>
    entries.map(
      (e) => `    ${e.pct.toFixed(1).padStart(5)}%  ${String(e.selfMs).padStart(7)} ms  ${e.name}`,
    );
  const lines = [
    `CPU profile ${s.file}`,
    `  wall ${s.wallMs} ms, busy ${s.busyMs} ms, idle ${s.idleMs} ms (percentages are of busy time)`,
    '  self time by package:',
    ...rows(s.byPackage),
    '  top functions (self time):',
    ...rows(s.topFunctions),
    '  our own functions (self time):',
    ...rows(s.ownFunctions),
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: bench/profile-summary.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(formatProfileSummary(summarizeCpuProfile(file, Number(process.argv[3] ?? 25))));
}
