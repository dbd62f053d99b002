import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { publicBaseUrl } from '../config/app.config';
import { isProduction } from '../config/validate-config';
import { startEmbeddedDatabase } from './embedded-database';
import { PlivoSimulator } from './plivo-simulator';

export const SANDBOX_AUTH_ID = 'MASANDBOX0000000000';
export const SANDBOX_SENDER = '+14155550100';

export interface Sandbox {
  plivo?: PlivoSimulator;
  stop(): Promise<void>;
}

/**
 * Outside production, stands in for what is not configured, before the app reads its config:
 * no Plivo credentials → the in-process Plivo simulator (the real SDK talks to it over HTTP);
 * no MONGODB_URI → an embedded MongoDB-wire server with data under .data/. In production
 * nothing is replaced and config validation refuses to start without the real settings.
 */
export async function prepareSandbox(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = console.log,
): Promise<Sandbox> {
  const stops: (() => Promise<void>)[] = [];
  const sandbox: Sandbox = { stop: async () => void (await Promise.all(stops.map((s) => s()))) };
  if (isProduction(env)) return sandbox;

  if (!env.PLIVO_AUTH_ID && !env.PLIVO_AUTH_TOKEN) {
    const authToken = randomBytes(24).toString('base64url');
    const port = Number(env.SERVER_PORT ?? 3000);
    const appBaseUrl = publicBaseUrl(env.PUBLIC_BASE_URL, port, false);
    const simulator = new PlivoSimulator({
      authId: SANDBOX_AUTH_ID,
      authToken,
      callbackDelayMs: 500,
      inboundUrl: `${appBaseUrl}/webhooks/plivo/inbound`,
    });
    const simulatorUrl = await startOnPreferredPort(
      simulator,
      Number(env.PLIVO_SIMULATOR_PORT ?? 3001),
    );
    Object.assign(env, {
      PLIVO_AUTH_ID: SANDBOX_AUTH_ID,
      PLIVO_AUTH_TOKEN: authToken,
      PLIVO_API_URL: simulatorUrl,
      PLIVO_SENDER_NUMBER: env.PLIVO_SENDER_NUMBER ?? SANDBOX_SENDER,
      SANDBOX_PLIVO: 'true',
    });
    sandbox.plivo = simulator;
    stops.push(() => simulator.stop());
    log(
      `SANDBOX: no Plivo credentials set; the Plivo simulator at ${simulatorUrl} stands in for api.plivo.com. No real message is sent. Simulate an inbound MMS with POST ${simulatorUrl}/sandbox/inbound (see README).`,
    );
  }

  if (!env.MONGODB_URI) {
    const dataDir = resolve(env.SANDBOX_DATA_DIR ?? '.data/db');
    const db = await startEmbeddedDatabase({ dataDir, log });
    env.MONGODB_URI = `${db.uri}/mms_gateway`;
    env.SANDBOX_DATABASE = 'true';
    stops.push(() => db.stop());
    log(
      `SANDBOX: no MONGODB_URI set; an embedded ${db.kind} serves ${env.MONGODB_URI} with data in ${dataDir}.`,
    );
  }
  return sandbox;
}

/** The documented port (3001) when free, so the README's curl works; any free port otherwise. */
async function startOnPreferredPort(simulator: PlivoSimulator, port: number): Promise<string> {
  try {
    return await simulator.start(port);
  } catch {
    return simulator.start(0);
  }
}
