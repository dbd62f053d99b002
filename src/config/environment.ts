import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import type { Environment } from './validate-config';

/**
 * What an entry point configures the service from: `.env` in the working directory when there
 * is one, overridden by the real environment (so a deployment's variables always win). Read,
 * never written back: process.env stays what the process was started with.
 */
export function readEnvironment(
  file = '.env',
  processEnv: NodeJS.ProcessEnv = process.env,
): Environment {
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...processEnv };
}
