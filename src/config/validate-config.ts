// Config classes are validated with class-transformer's implicit conversion, which reads the
// design:type metadata their decorators emit: the polyfill must load before any of them.
import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

/** Environment variables as the entry point read them (.env, then the real environment). */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * A configuration the service cannot run with. Its message lists every bad variable, one per
 * line, so a misconfigured pod crash-loops with a readable reason (and no stack trace).
 */
export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

/** Validates one config namespace's variables; throws a ConfigurationError naming each bad one. */
export function validateConfig<T extends object>(env: Environment, schema: new () => T): T {
  const instance = plainToInstance(schema, env, { enableImplicitConversion: true });
  const errors = validateSync(instance, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) throw new ConfigurationError(errors.map(describe));
  return instance;
}

/** `KEY=` counts as not set: `cp .env.example .env` must leave every default in force. */
export function withoutBlanks(env: Environment): Environment {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1].trim() !== '',
    ),
  );
}

function describe(error: ValidationError): string {
  const reasons = Object.values(error.constraints ?? {}).join('; ');
  return `${error.property}: ${reasons}`;
}

export const isProduction = (env: Environment): boolean => env.NODE_ENV === 'production';

/** A comma-separated variable as a list, blanks dropped. */
export const splitList = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
