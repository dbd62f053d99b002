/**
 * What the service runs against: a MongoDB-wire database (MONGODB_URI, else the embedded server),
 * the Plivo simulator in the bench process, and the service's environment and node flags.
 * Everything started here registers its stop with the run's Cleanups.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mongoose from 'mongoose';
import { freePort, startEmbeddedDatabase } from '../sandbox/embedded-database';
import { PlivoSimulator, type RecordedRequest } from '../sandbox/plivo-simulator';
import { StatusReceiver } from '../sandbox/plivo-simulator/status-receiver';
import type { BenchOptions } from './cli';
import { API_KEY, AUTH_ID, CLIENT_ID, METRICS_TOKEN, ROOT, SENDER } from './fixtures';
import { findDatabasePid } from './processes';
import { log } from './report';
import { round } from './stats';

/** Stops, last started first; each runs once even if asked twice (SIGINT, then the finally). */
export class Cleanups {
  private readonly steps: (() => Promise<void>)[] = [];

  add(step: () => Promise<void>): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (let step = this.steps.pop(); step; step = this.steps.pop())
      await step().catch((e: unknown) => log(`cleanup: ${String(e)}`));
  }
}

export interface Database {
  uri: string;
  kind: string;
  pid?: number;
  /** 0 for an external server. */
  startMs: number;
}

/** MONGODB_URI (a fresh database on it, dropped at the end), else the embedded server. */
export async function startDatabase(
  workDir: string,
  startedAt: Date,
  cleanups: Cleanups,
): Promise<Database> {
  if (process.env.MONGODB_URI) {
    const [base, query] = process.env.MONGODB_URI.split('?');
    const host = /^(mongodb(?:\+srv)?:\/\/[^/]+)/.exec(base)?.[1];
    if (!host) throw new Error('MONGODB_URI must look like mongodb://host[:port][/db]');
    const uri = `${host}/mms_bench_${startedAt.getTime()}${query ? `?${query}` : ''}`;
    cleanups.add(async () => {
      const client = await mongoose.mongo.MongoClient.connect(uri);
      await client.db().dropDatabase();
      await client.close();
    });
    return { uri, kind: 'external (MONGODB_URI)', startMs: 0 };
  }
  const dataDir = join(workDir, 'db');
  const t = performance.now();
  const db = await startEmbeddedDatabase({ dataDir, log });
  const startMs = round(performance.now() - t);
  cleanups.add(() => db.stop());
  return {
    uri: `${db.uri}/mms_bench`,
    kind: db.kind === 'secantusdb' ? 'SecantusDB (secantusd-rs), embedded' : 'mongod, embedded',
    pid: findDatabasePid(dataDir),
    startMs,
  };
}

export interface Simulator {
  url: string;
  authToken: string;
  /** Drops the recorded requests (memory) and pending callbacks; keeps the latency. */
  reset(): void;
  /** The requests received since the last reset, in arrival order (`at`: when each arrived). */
  requests(): RecordedRequest[];
}

export async function startSimulator(
  options: BenchOptions,
  cleanups: Cleanups,
): Promise<Simulator> {
  const authToken = randomBytes(24).toString('base64url');
  const simulator = new PlivoSimulator({
    authId: AUTH_ID,
    authToken,
    // Off by default: callbacks would be webhook traffic competing with the send benchmark
    // (the webhook scenario measures that path on its own). 1 h = never during a run;
    // stop()/reset() cancel the timers.
    callbackDelayMs: options.callbacks ? 100 : 3_600_000,
  });
  const url = await simulator.start();
  simulator.setLatency(options.plivoLatencyMs);
  cleanups.add(() => simulator.stop());
  return {
    url,
    authToken,
    reset: () => {
      simulator.reset();
      simulator.setLatency(options.plivoLatencyMs);
    },
    requests: () => simulator.requests,
  };
}

/** Client endpoints for the service's status callbacks (--client-callbacks). */
export interface ClientEndpoints {
  /** A StatusReceiver in the bench process; the scenarios make it hang or answer 410. */
  receiver: StatusReceiver;
  receiverUrl: string;
  /** A port nobody listens on: connection refused, a dead client. */
  deadUrl: string;
  /** What the service needs to call them: the secret, both host:ports allowed, short timings. */
  serviceEnv: Record<string, string>;
}

/** Timings of the callback worker under --client-callbacks (the defaults are 5000/10000/1000). */
export const CALLBACK_TIMINGS = { timeoutMs: 1000, retryBaseMs: 200, pollMs: 100 };

export async function startClientEndpoints(cleanups: Cleanups): Promise<ClientEndpoints> {
  const secret = randomBytes(32).toString('hex');
  const receiver = new StatusReceiver({ secrets: [secret] });
  const receiverUrl = await receiver.listen();
  cleanups.add(() => receiver.close());
  const deadHost = `127.0.0.1:${await freePort()}`;
  return {
    receiver,
    receiverUrl,
    deadUrl: `http://${deadHost}/hooks/dead`,
    serviceEnv: {
      STATUS_CALLBACK_SECRET: secret,
      STATUS_CALLBACK_ALLOWED_HOSTS: `${new URL(receiverUrl).host},${deadHost}`,
      // The receiver is plain http on loopback; production mode would refuse http:// URLs.
      MEDIA_ALLOW_HTTP: 'true',
      STATUS_CALLBACK_TIMEOUT_MS: String(CALLBACK_TIMINGS.timeoutMs),
      // Short, so failed events are due again within the run and the worker never idles.
      STATUS_CALLBACK_RETRY_BASE_MS: String(CALLBACK_TIMINGS.retryBaseMs),
      STATUS_CALLBACK_POLL_MS: String(CALLBACK_TIMINGS.pollMs),
    },
  };
}

export function serviceEnv(
  database: Database,
  simulator: Simulator,
  options: BenchOptions,
): Record<string, string> {
  return {
    NODE_ENV: 'production',
    API_KEYS: `${CLIENT_ID}:${API_KEY}`,
    INBOUND_CLIENTS: `${SENDER}:${CLIENT_ID}`,
    THROTTLE_LIMIT: '100000000',
    WEBHOOK_THROTTLE_LIMIT: '100000000',
    // Production's (the ConfigMap's): one request line per request, as the same-stack baseline.
    LOG_LEVEL: options.logLevel,
    METRICS_ENABLED: 'true',
    METRICS_TOKEN,
    SHUTDOWN_DELAY_MS: '0',
    PLIVO_AUTH_ID: AUTH_ID,
    PLIVO_AUTH_TOKEN: simulator.authToken,
    PLIVO_SENDER_NUMBER: SENDER,
    PLIVO_API_URL: simulator.url,
    MONGODB_URI: database.uri,
    // Production turns the media preflight on (a HEAD to every media URL); the bench machine
    // has no internet and the preflight is not what this measures.
    MEDIA_PREFLIGHT: 'false',
    // Production paces sends at Plivo's account rates (0.25 MMS/s, 5 SMS/s): at 50 connections
    // nearly every send would be scheduled for later, not sent. What is measured is the gateway
    // itself, so pacing is off; --dispatch measures it on its own (scenarios/dispatch.ts).
    ...PACING_OFF,
  };
}

/** Both account caps off (the sender caps are off unless set). */
export const PACING_OFF = {
  PACING_ACCOUNT_MMS_PER_SECOND: '0',
  PACING_ACCOUNT_SMS_PER_SECOND: '0',
};

/** A value of deploy/k8s/configmap.yaml's data (a quoted string), undefined if absent. */
export function configMapValue(name: string): string | undefined {
  const text = readFileSync(join(ROOT, 'deploy', 'k8s', 'configmap.yaml'), 'utf8');
  return new RegExp(`^\\s*${name}:\\s*"([^"]*)"`, 'm').exec(text)?.[1];
}

/** NODE_OPTIONS as deploy/k8s/configmap.yaml ships it (split into flags). */
function manifestNodeOptions(): string[] {
  return (configMapValue('NODE_OPTIONS') ?? '').split(' ').filter(Boolean);
}

export interface NodeFlags {
  /**
   * For every start of the service and of the baselines: the ConfigMap's NODE_OPTIONS (the
   * settings the manifests ship), then --service-node-args, e.g. "--max-old-space-size=128".
   */
  common: string[];
}

export function serviceNodeFlags(options: BenchOptions): NodeFlags {
  return { common: [...manifestNodeOptions(), ...options.serviceNodeArgs] };
}
