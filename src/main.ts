import type { AllConfig } from './config/config.type';
import { loadConfiguration } from './config/configuration';
import { readEnvironment } from './config/environment';
import { ConfigurationError, Environment, withoutBlanks } from './config/validate-config';
import { startGateway } from './start-gateway';

/**
 * The production entry point (`node dist/main.js`). It never simulates anything and never runs
 * open: without real Plivo and MongoDB settings, or without API keys, it refuses to start,
 * whatever NODE_ENV says (NODE_ENV=development must not turn a real gateway into one any caller
 * can use as an admin), and NODE_ENV defaults to production here. The sandbox, with a Plivo
 * simulator and an embedded database, has its own entry point outside the build (`npm start`),
 * which nothing here imports.
 */
const REQUIRED = ['PLIVO_AUTH_ID', 'PLIVO_AUTH_TOKEN', 'PLIVO_SENDER_NUMBER', 'MONGODB_URI'];

function fail(message: string): never {
  console.error(`Failed to start: ${message}`);
  process.exit(1);
}

/** The other problems of the configuration, so one try shows everything to fix. */
function otherProblems(env: Environment, missing: string[]): string[] {
  try {
    loadConfiguration(env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    return error.problems.filter((p) => !missing.includes(p.split(':')[0]));
  }
}

async function main(): Promise<void> {
  // Production defaults whatever NODE_ENV says: no /docs unless DOCS_ENABLED=true.
  const env: Environment = {
    NODE_ENV: 'production',
    DOCS_ENABLED: 'false',
    ...withoutBlanks(readEnvironment()),
  };
  const missing = REQUIRED.filter((name) => env[name] === undefined);
  // Admin keys alone are keys too (every caller then an admin, by their own key).
  if (env.API_KEYS === undefined && env.ADMIN_API_KEYS === undefined) missing.push('API_KEYS');
  if (missing.length > 0) {
    const others = otherProblems(env, missing).map((p) => `\n  - ${p}`);
    fail(
      `${missing.join(', ')} not set. This entry point talks to the real Plivo and MongoDB only, and never without API keys, whatever NODE_ENV says; for a sandbox with simulated Plivo and an embedded database run "npm start".${others.join('')}`,
    );
  }
  const config = loadConfiguration(env);
  const open = openDoors(config);
  if (open.length > 0) fail(open.join('\n  '));
  await startGateway(config);
}

/**
 * What NODE_ENV cannot loosen here: a set variable that holds no key (`API_KEYS=,`) leaves the
 * gateway as open as an unset one, and /metrics (client names, volumes) needs its token. The
 * checks of the configuration itself depend on NODE_ENV; this entry point's do not.
 */
function openDoors(config: AllConfig): string[] {
  const problems: string[] = [];
  if (config.clients.keys.length === 0)
    problems.push(
      'API_KEYS: no key in it (nor in ADMIN_API_KEYS); this entry point never runs without API keys, whatever NODE_ENV says',
    );
  if (config.http.metricsEnabled && config.http.metricsTokenDigest === undefined)
    problems.push(
      'METRICS_TOKEN: required by this entry point while METRICS_ENABLED is not false, whatever NODE_ENV says (Prometheus sends it as Authorization: Bearer <token>)',
    );
  return problems;
}

main().catch((error: unknown) => {
  // A ConfigurationError's message lists every bad variable; no stack trace either way.
  fail(error instanceof Error ? error.message : String(error));
});
