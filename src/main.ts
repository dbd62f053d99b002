import { loadConfiguration } from './config/configuration';
import { readEnvironment } from './config/environment';
import { ConfigurationError, Environment, withoutBlanks } from './config/validate-config';
import { startGateway } from './start-gateway';

/**
 * The production entry point (`node dist/main.js`). It never simulates anything and never runs
 * open: without real Plivo and MongoDB settings, or without API keys, it refuses to start,
 * whatever NODE_ENV says (NODE_ENV=development must not turn a real gateway into one any caller
 * can use as an admin), and NODE_ENV defaults to production here. The sandbox, with a Plivo
 * simulator and an embedded database, has its own entry point outside the build
 * (sandbox/main.ts, `npm start`).
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
  const env: Environment = { NODE_ENV: 'production', ...withoutBlanks(readEnvironment()) };
  const missing = REQUIRED.filter((name) => env[name] === undefined);
  // Admin keys alone are keys too (every caller then an admin, by their own key).
  if (env.API_KEYS === undefined && env.ADMIN_API_KEYS === undefined) missing.push('API_KEYS');
  if (missing.length > 0) {
    const others = otherProblems(env, missing).map((p) => `\n  - ${p}`);
    fail(
      `${missing.join(', ')} not set. This entry point talks to the real Plivo and MongoDB only, and never without API keys, whatever NODE_ENV says; for a sandbox with simulated Plivo and an embedded database run "npm start".${others.join('')}`,
    );
  }
  await startGateway(loadConfiguration(env));
}

main().catch((error: unknown) => {
  // A ConfigurationError's message lists every bad variable; no stack trace either way.
  fail(error instanceof Error ? error.message : String(error));
});
