/**
 * One bench run, step by step: build, start the database and the simulator, start the service
 * three times (startup times; the third takes the load), run the throughput or flat-cost mode,
 * stop the service, print the targets and write the results file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchOptions } from './cli';
import {
  Cleanups,
  serviceEnv,
  serviceNodeFlags,
  startClientEndpoints,
  startDatabase,
  startSimulator,
  type NodeFlags,
} from './environment';
import { RESULTS_DIR, ROOT } from './fixtures';
import { closeConnections, serviceMemory } from './http';
import { buildIndexes, startService, waitForIdle, type Service } from './processes';
import { formatProfileSummary } from './profile-summary';
import { Profiling } from './profiling';
import {
  log,
  printMachine,
  printTargets,
  reportHeader,
  startupTarget,
  writeResults,
  type Report,
} from './report';
import type { BenchContext, ModeOutcome } from './scenarios/context';
import { campaignRun } from './scenarios/campaign';
import { dispatchRun, type DispatchContext } from './scenarios/dispatch';
import { flatRun } from './scenarios/flat';
import { throughputRun } from './scenarios/throughput';
import { procRssKb, ProcSampler, round } from './stats';

export async function runBench(options: BenchOptions): Promise<void> {
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  mkdirSync(RESULTS_DIR, { recursive: true });
  build(options);

  const workDir = mkdtempSync(join(tmpdir(), 'mms-bench-'));
  const cleanups = new Cleanups();
  process.once('SIGINT', () => void cleanups.run().then(() => process.exit(130)));
  // Runs last: after the service and the database have stopped.
  cleanups.add(async () => {
    if (!options.keepDb) rmSync(workDir, { recursive: true, force: true });
    else log(`kept ${workDir}`);
  });

  try {
    const database = await startDatabase(workDir, startedAt, cleanups);
    const simulator = await startSimulator(options, cleanups);
    const clientEndpoints = options.clientCallbacks
      ? await startClientEndpoints(cleanups)
      : undefined;
    const env = { ...serviceEnv(database, simulator, options), ...clientEndpoints?.serviceEnv };
    const flags = serviceNodeFlags(options);
    const profiling = options.profile ? new Profiling(workDir, stamp) : undefined;
    log(
      `Plivo simulator at ${simulator.url} (latency ${options.plivoLatencyMs} ms, callbacks ${options.callbacks ? 'on' : 'off'}); database: ${database.kind}${database.startMs ? ` (started in ${database.startMs} ms)` : ''}`,
    );
    printMachine();
    log(
      `Indexes built by npm run db:indexes (node dist/db-indexes.js) in ${buildIndexes(env, workDir)} ms`,
    );
    const { service, startups } = await startServiceThrice(env, flags, workDir, profiling);
    cleanups.add(() => service.stop());

    const report = reportHeader({
      startedAt,
      options,
      database,
      serviceEnv: env,
      serviceNodeArgs: flags.common,
      startups,
    });
    const ctx: BenchContext = {
      options,
      service,
      database,
      simulator,
      clientEndpoints,
      workDir,
      serviceEnv: env,
      serviceNodeArgs: flags.common,
      profiling,
      sampler: (extra = {}) =>
        new ProcSampler({ service: service.child.pid, database: database.pid, ...extra }),
      drain: () => waitForIdle([service.child.pid, database.pid]),
      memory: () => serviceMemory(service.baseUrl),
    };
    const mode = options.flat ? await flatRun(ctx) : await throughputRun(ctx);
    Object.assign(report, mode.report);

    await stopLoadedService(ctx, report);
    if (profiling) report.profileSummaries = printProfiles(profiling);
    const dispatch = options.dispatch
      ? await runDispatch(ctx, env, flags, mode.sendRps, cleanups)
      : undefined;
    if (dispatch) Object.assign(report, dispatch.report);
    const campaign = options.campaign
      ? await campaignRun(
          dispatchContext(ctx, env, flags, mode.sendRps, cleanups),
          options.campaignRecipients,
          options.campaignDrain,
        )
      : undefined;
    if (campaign) Object.assign(report, campaign.report);
    const targets = [
      startupTarget(startups),
      ...mode.targets,
      ...(dispatch?.targets ?? []),
      ...(campaign?.targets ?? []),
    ];
    printTargets(targets, options.profile);
    report.targets = targets;
    writeResults(report, stamp, options);
  } finally {
    await cleanups.run();
    closeConnections();
  }
}

function build(options: BenchOptions): void {
  if (!options.skipBuild) {
    log('Building (npm run build)…');
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  } else if (!existsSync(join(ROOT, 'dist', 'main.js'))) {
    throw new Error('dist/main.js is missing: run npm run build (or drop --skip-build)');
  }
}

/** Two starts for their startup time only, then the one that takes the load. */
async function startServiceThrice(
  env: Record<string, string>,
  flags: NodeFlags,
  workDir: string,
  profiling: Profiling | undefined,
): Promise<{ service: Service; startups: Service['startup'][] }> {
  log(
    'Starting the service 3 times (node dist/main.js, NODE_ENV=production): start → first 200 from /health/ready',
  );
  const startups: Service['startup'][] = [];
  for (let i = 0; i < 2; i++) {
    const s = await startService(env, flags.common, workDir);
    startups.push(s.startup);
    log(
      `  #${i + 1}: ready in ${s.startup.readyMs} ms after spawn${i === 0 ? ' (empty log; indexes checked, not built)' : ''}`,
    );
    await s.stop();
  }
  const service = await startService(
    { ...env, ...profiling?.env },
    [...flags.common, ...(profiling?.nodeArgs ?? [])],
    workDir,
  );
  startups.push(service.startup);
  log(
    `  #3: ready in ${service.startup.readyMs} ms after spawn${profiling ? ' (with the profiler hook)' : ''}; this one takes the load`,
  );
  return { service, startups };
}

/**
 * --dispatch, once the loaded service has stopped (it would dispatch too): each scenario starts
 * its own service with the run's environment and node flags, some variables changed.
 */
function runDispatch(
  ctx: BenchContext,
  env: Record<string, string>,
  flags: NodeFlags,
  sendRps: number | undefined,
  cleanups: Cleanups,
): Promise<ModeOutcome> {
  return dispatchRun(dispatchContext(ctx, env, flags, sendRps, cleanups));
}

/** A service per scenario, with the run's environment and node flags, some variables changed. */
function dispatchContext(
  ctx: BenchContext,
  env: Record<string, string>,
  flags: NodeFlags,
  sendRps: number | undefined,
  cleanups: Cleanups,
): DispatchContext {
  return {
    options: ctx.options,
    database: ctx.database,
    simulator: ctx.simulator,
    sendRps,
    start: async (changes) => {
      const merged: Record<string, string> = { ...env };
      for (const [key, value] of Object.entries(changes))
        if (value === undefined) delete merged[key];
        else merged[key] = value;
      const service = await startService(merged, flags.common, ctx.workDir);
      cleanups.add(() => service.stop());
      return service;
    },
    memory: (service) => serviceMemory(service.baseUrl),
  };
}

/** Drains and stops the loaded service (which writes the CPU profile), and reports how it ended. */
async function stopLoadedService(ctx: BenchContext, report: Report): Promise<void> {
  const { service } = ctx;
  await ctx.drain();
  const rssEnd = procRssKb(service.child.pid!);
  await service.stop();
  if (service.child.exitCode !== 0)
    log(
      `note: the service exited with ${service.child.exitCode ?? service.child.signalCode}; last output:\n${service.output().slice(-2000)}`,
    );
  else {
    const warnings = warningLines(service.output());
    if (warnings.length) log(`service output (warn and above):\n${warnings.slice(-10).join('\n')}`);
  }
  report.serviceRssAtEndMb = rssEnd !== undefined ? round(rssEnd / 1024) : undefined;
}

/** --profile: the send scenarios' summaries printed, every scenario's written to a file. */
function printProfiles(profiling: Profiling): string | undefined {
  for (const s of profiling.summaries.filter((p) => /baseline|send/.test(p.scenario))) {
    log('');
    log(`${s.scenario}:`);
    log(formatProfileSummary(s));
  }
  const file = profiling.write();
  if (file) log(`\nCPU profile summaries of every scenario: ${file}`);
  return file;
}

/** The lines of pino's output at warn (40) and above, and any line that is not pino's. */
function warningLines(output: string): string[] {
  const lines = output.trim().split('\n');
  // The output is its last 20,000 characters: the first line may be cut.
  if (output.length >= 20000) lines.shift();
  return lines.filter((line) => {
    try {
      return ((JSON.parse(line) as { level?: number }).level ?? 40) >= 40;
    } catch {
      return line.trim() !== '';
    }
  });
}
