import { loadConfiguration } from './config/configuration';
import { readEnvironment } from './config/environment';
import { ConfigurationError, withoutBlanks } from './config/validate-config';
import { startGateway } from './start-gateway';

/**
 * The production entry point (`node dist/main.js`). It never simulates anything: without real
 * Plivo and MongoDB settings it refuses to start, whatever NODE_ENV says. The sandbox, with a
 * Plivo simulator and an embedded database, has its own entry point outside the build
 * (sandbox/main.ts, `npm start`).
 */
const REQUIRED = ['PLIVO_AUTH_ID', 'PLIVO_AUTH_TOKEN', 'PLIVO_SENDER_NUMBER', 'MONGODB_URI'];

function fail(message: string): never {
  console.error(`Failed to start: ${message}`);
  process.exit(1);
}

async function main(): Promise<void> {
  const env = withoutBlanks(readEnvironment());
  const missing = REQUIRED.filter((name) => env[name] === undefined);
  if (missing.length > 0)
    fail(
      `${missing.join(', ')} not set. This entry point talks to the real Plivo and MongoDB only; for a sandbox with simulated Plivo and an embedded database run "npm start".`,
    );
  await startGateway(loadConfiguration(env));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigurationError) fail(error.message);
  fail(error instanceof Error ? error.message : String(error));
});
