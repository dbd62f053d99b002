import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { readEnvironment } from '../src/config/environment';
import {
  ConfigurationError,
  Environment,
  splitList,
  withoutBlanks,
} from '../src/config/validate-config';
import { PLIVO_WEBHOOK_ROUTES } from '../src/mms/plivo/webhook-routes';

/**
 * The sandbox entry point (`npm start`): the service with a simulated Plivo (the real SDK talks
 * to it over HTTP) and, without MONGODB_URI, an embedded MongoDB server with its data under
 * .data/. It lives outside src/, so the production build (`node dist/main.js`) cannot run it.
 * Its stand-ins reach the service as configuration passed in, never through process.env.
 */
export const SANDBOX_AUTH_ID = 'MASANDBOX0000000000';
export const SANDBOX_SENDER = '+14155550100';

/** Made for trying things on one machine; each can still be set in .env or the environment. */
const SANDBOX_DEFAULTS: Environment = {
  NODE_ENV: 'development',
  SERVER_HOST: '127.0.0.1',
  THROTTLE_LIMIT: '100000',
  // Forged webhooks are what one tries in a sandbox (and what Schemathesis sends by the hundred).
  WEBHOOK_UNSIGNED_THROTTLE_LIMIT: '100000',
  SHUTDOWN_DELAY_MS: '0',
};

function fail(message: string): never {
  console.error(`sandbox: failed to start: ${message}`);
  process.exit(1);
}

/**
 * The settings the sandbox provides, over what the user configured. Status callbacks may go to
 * the simulator's client endpoint (a loopback address, refused by default), with the user's
 * allowed hosts kept.
 */
function withStandIns(
  env: Environment,
  plivo: { url: string; token: string; port: number },
  mongodbUri: string,
) {
  return {
    ...env,
    PLIVO_AUTH_ID: SANDBOX_AUTH_ID,
    PLIVO_AUTH_TOKEN: plivo.token,
    PLIVO_API_URL: plivo.url,
    PLIVO_SENDER_NUMBER: env.PLIVO_SENDER_NUMBER ?? SANDBOX_SENDER,
    MONGODB_URI: mongodbUri,
    STATUS_CALLBACK_ALLOWED_HOSTS: [
      ...splitList(env.STATUS_CALLBACK_ALLOWED_HOSTS),
      `127.0.0.1:${plivo.port}`,
    ].join(','),
  };
}

async function main(): Promise<void> {
  const configured: Environment = { ...SANDBOX_DEFAULTS, ...withoutBlanks(readEnvironment()) };
  // Status callbacks work out of the box: signed with a secret made for this run unless one is set.
  const generatedSecret = configured.STATUS_CALLBACK_SECRET
    ? undefined
    : randomBytes(32).toString('hex');
  const env: Environment = { STATUS_CALLBACK_SECRET: generatedSecret, ...configured };
  if (env.NODE_ENV === 'production')
    fail('NODE_ENV=production: the sandbox never runs in production (npm run start:prod does)');
  const simulatorPort = Number(env.PLIVO_SIMULATOR_PORT ?? 3001);
  if (!Number.isInteger(simulatorPort) || simulatorPort < 0 || simulatorPort > 65535)
    fail(`PLIVO_SIMULATOR_PORT must be a port number, not "${env.PLIVO_SIMULATOR_PORT}"`);
  const dataDir = resolve(env.SANDBOX_DATA_DIR ?? '.data/db');
  const external = env.MONGODB_URI;
  // Without keys, the sandbox (and only it: the production build cannot) makes every caller an
  // admin, so the opt-out API and inbound messages can be tried with curl alone.
  const open = !env.API_KEYS && !env.ADMIN_API_KEYS;
  console.log(
    `sandbox: simulated Plivo at http://127.0.0.1:${simulatorPort}, ${external ? 'database at MONGODB_URI' : `embedded database at ${dataDir}`}; no real message is sent${open ? '; no API_KEYS: every caller is an admin' : ''}`,
  );
  if (env.PLIVO_AUTH_ID)
    console.log(
      'sandbox: PLIVO_AUTH_ID is ignored here, Plivo is always simulated (npm run start:prod uses the real one)',
    );
  // Loaded after the first line, so it comes at once (these pull in Nest, Mongoose, the SDK).
  const [{ publicBaseUrl }, { loadConfiguration }, { startGateway }, database, { PlivoSimulator }] =
    await Promise.all([
      import('../src/config/app.config'),
      import('../src/config/configuration'),
      import('../src/start-gateway'),
      import('./embedded-database'),
      import('./plivo-simulator'),
    ]);

  // Every invalid variable is reported now, before anything is started or built.
  const token = randomBytes(24).toString('base64url');
  const placeholders = withStandIns(
    env,
    { url: 'http://127.0.0.1', token, port: simulatorPort },
    external ?? 'mongodb://127.0.0.1',
  );
  const appConfig = loadConfiguration(placeholders).app;

  const simulator = new PlivoSimulator({
    authId: SANDBOX_AUTH_ID,
    authToken: token,
    callbackDelayMs: 500,
    statusCallbackSecrets: splitList(env.STATUS_CALLBACK_SECRET),
    inboundUrl: `${publicBaseUrl(env.PUBLIC_BASE_URL, appConfig.port, false)}${PLIVO_WEBHOOK_ROUTES.inbound}`,
  });
  const simulatorUrl = await simulator
    .start(simulatorPort)
    .catch((error: Error) =>
      fail(
        `the Plivo simulator cannot listen on port ${simulatorPort} (${error.message}); set PLIVO_SIMULATOR_PORT to a free port`,
      ),
    );
  const stops: (() => Promise<void>)[] = [() => simulator.stop()];
  const stopAll = () => Promise.all(stops.map((stop) => stop())).then(() => undefined);

  try {
    let mongodbUri = external;
    if (!mongodbUri) {
      const db = await database.startEmbeddedDatabase({
        dataDir,
        env,
        interimWhileBuilding: true,
        log: (line) => console.log(`sandbox: ${line}`),
      });
      stops.push(() => db.stop());
      mongodbUri = `${db.uri}/mms_gateway`;
      console.log(`sandbox: embedded ${db.kind} ready at ${mongodbUri}`);
    }
    const plivo = { url: simulatorUrl, token, port: Number(simulatorUrl.split(':').pop()) };
    const config = loadConfiguration(withStandIns(env, plivo, mongodbUri), {
      plivo: true,
      database: !external,
      openAccessAdmin: true,
    });
    if (!config.dispatch.pacing)
      console.log(
        "sandbox: pacing is off (Plivo's rates are not applied; set PACING_ACCOUNT_MMS_PER_SECOND to try it)",
      );
    console.log(
      `sandbox: simulate an inbound MMS with POST ${simulatorUrl}/sandbox/inbound (see docs/api.md)`,
    );
    console.log(
      `sandbox: a test client endpoint records status callbacks at ${simulatorUrl}/client-callbacks/… (GET ${simulatorUrl}/client-callbacks lists them)`,
    );
    // Made for this run and only good for it: shown so a client of one's own can check signatures.
    // A secret the user set is never printed.
    if (generatedSecret)
      console.log(
        `sandbox: status callbacks are signed with STATUS_CALLBACK_SECRET=${generatedSecret} (new each run; set one in .env to keep it)`,
      );
    await startGateway(config, { afterClose: stopAll });
  } catch (error) {
    await stopAll();
    throw error;
  }
}

main().catch((error: unknown) => {
  // A ConfigurationError's message is the list of bad variables; no stack trace either way.
  fail(
    error instanceof ConfigurationError || error instanceof Error ? error.message : String(error),
  );
});
