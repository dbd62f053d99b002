/**
 * Preloaded (`node -r profiler-hook.js …`) into the processes `npm run bench -- --profile`
 * measures: the service and both baselines. SIGUSR2 starts V8's CPU profiler in the process
 * (node:inspector, no port opened); the next SIGUSR2 stops it and writes the profile. So each
 * scenario gets a profile of its own measured window, not of the process's whole life.
 *
 * Files, in BENCH_PROFILE_DIR: `<pid>.profiling` while a profile runs (the bench waits for it
 * before the load starts), then `<pid>-<n>.cpuprofile` (n = 1, 2, …), written under a temporary
 * name and renamed, so the bench never reads half a file.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR ?? '.';
const marker = join(dir, `${process.pid}.profiling`);
const session = new Session();
session.connect();
let running = false;
let written = 0;

function post(method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );
}

async function toggle(): Promise<void> {
  if (!running) {
    running = true;
    await post('Profiler.enable');
    // 1 ms, as --cpu-prof samples by default.
    await post('Profiler.setSamplingInterval', { interval: 1000 });
    await post('Profiler.start');
    writeFileSync(marker, '');
    return;
  }
  running = false;
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  const file = join(dir, `${process.pid}-${++written}.cpuprofile`);
  rmSync(marker, { force: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(profile));
  renameSync(`${file}.tmp`, file);
}

process.on('SIGUSR2', () => {
  toggle().catch((error: unknown) => console.error(`profiler-hook: ${String(error)}`));
});
