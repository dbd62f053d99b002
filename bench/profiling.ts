/**
 * `--profile`: a CPU profile of each scenario's measured window, in the process it measures
 * (the service, or a baseline), and its summary. The processes are preloaded with
 * bench/profiler-hook.ts; SIGUSR2 starts and stops V8's profiler in them. Each profile is moved
 * to bench/results/<run>-<scenario>.cpuprofile; the run's summaries go to the results file and
 * to bench/results/<run>-profile.md.
 */
import type { ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { RESULTS_DIR } from './fixtures';
import { sleep, transpileBenchFiles } from './processes';
import { formatProfileSummary, summarizeCpuProfile, type ProfileSummary } from './profile-summary';

export const PROFILE_TOP = 25;

/** Starts and stops the profile of one process; stop() resolves to the profile's file. */
export class ProcessProfiler {
  private stops = 0;

  constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  async start(): Promise<void> {
    this.child.kill('SIGUSR2');
    await this.waitFor(join(this.dir, `${this.child.pid}.profiling`));
  }

  async stop(): Promise<string> {
    this.child.kill('SIGUSR2');
    const file = join(this.dir, `${this.child.pid}-${++this.stops}.cpuprofile`);
    await this.waitFor(file);
    return file;
  }

  private async waitFor(file: string): Promise<void> {
    const until = Date.now() + 30000;
    while (!existsSync(file)) {
      if (this.child.exitCode !== null || Date.now() > until)
        throw new Error(`profiler: ${file} never appeared`);
      await sleep(20);
    }
  }
}

export interface ScenarioProfiler {
  start(): Promise<void>;
  stop(): Promise<ProfileSummary>;
}

/** The run's profiling: the node flags and environment that preload the hook, the summaries. */
export class Profiling {
  readonly nodeArgs: string[];
  readonly env: Record<string, string>;
  readonly summaries: (ProfileSummary & { scenario: string })[] = [];
  private readonly dir: string;
  private readonly profilers = new Map<number, ProcessProfiler>();

  constructor(
    workDir: string,
    private readonly stamp: string,
  ) {
    const hook = join(transpileBenchFiles(['profiler-hook.ts'], workDir), 'profiler-hook.js');
    this.dir = join(workDir, 'profiles');
    mkdirSync(this.dir, { recursive: true });
    this.nodeArgs = ['-r', hook];
    this.env = { BENCH_PROFILE_DIR: this.dir };
  }

  /** One per process: the hook numbers its profiles per process. */
  profiler(child: ChildProcess): ProcessProfiler {
    const pid = child.pid ?? -1;
    let profiler = this.profilers.get(pid);
    if (!profiler) this.profilers.set(pid, (profiler = new ProcessProfiler(child, this.dir)));
    return profiler;
  }

  /** What runScenario calls around the measured window of `scenario`, run by `child`. */
  scenario(scenario: string, child: ChildProcess): ScenarioProfiler {
    const profiler = this.profiler(child);
    return {
      start: () => profiler.start(),
      stop: async () => this.collect(scenario, await profiler.stop()),
    };
  }

  /** Moves a scenario's profile into bench/results/ and summarises it. */
  collect(scenario: string, file: string): ProfileSummary {
    const slug = scenario
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
    const kept = join(RESULTS_DIR, `${this.stamp}-${slug}.cpuprofile`);
    moveFile(file, kept);
    const summary = summarizeCpuProfile(kept, PROFILE_TOP);
    this.summaries.push({ scenario, ...summary });
    return summary;
  }

  /** bench/results/<run>-profile.md: every scenario's summary. */
  write(): string | undefined {
    if (this.summaries.length === 0) return undefined;
    const out = join(RESULTS_DIR, `${this.stamp}-profile.md`);
    const text = this.summaries
      .map((s) => `## ${s.scenario}\n\n\`\`\`\n${formatProfileSummary(s)}\n\`\`\`\n`)
      .join('\n');
    writeFileSync(out, `# CPU profiles, run ${this.stamp}\n\n${text}`);
    return out;
  }
}

/**
 * Moves a file, also across file systems: the profiles are written under the OS's temp dir,
 * which may be another mount than bench/results/ (a tmpfs /tmp), where rename fails with EXDEV.
 */
export function moveFile(from: string, to: string, rename = renameSync): void {
  try {
    rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    copyFileSync(from, to);
    unlinkSync(from);
  }
}
