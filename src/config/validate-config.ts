import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

/**
 * Validates one config namespace's slice of `process.env` and throws at boot with a message
 * naming every bad variable, so a misconfigured pod crash-loops with a readable reason.
 */
export function validateConfig<T extends object>(
  env: Record<string, string | undefined>,
  schema: new () => T,
): T {
  const instance = plainToInstance(schema, env, { enableImplicitConversion: true });
  const errors = validateSync(instance, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) {
    throw new Error(`Invalid configuration:\n${errors.map(describe).join('\n')}`);
  }
  return instance;
}

function describe(error: ValidationError): string {
  const reasons = Object.values(error.constraints ?? {}).join('; ');
  return `  - ${error.property}: ${reasons}`;
}

export const isProduction = (env: Record<string, string | undefined> = process.env): boolean =>
  env.NODE_ENV === 'production';

/** A comma-separated variable as a list, blanks dropped. */
export const splitList = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
