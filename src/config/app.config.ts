import { registerAs } from '@nestjs/config';
import { IsIn, IsInt, IsOptional, IsUrl, Max, Min } from 'class-validator';
import { validateConfig } from './validate-config';

class AppEnv {
  @IsOptional()
  @IsIn(['development', 'production', 'test'])
  NODE_ENV?: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  SERVER_PORT?: number;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  PUBLIC_BASE_URL?: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(3600000)
  UNMATCHED_CALLBACK_SWEEP_MS?: number;

  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL?: string;
}

export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  /** The URL Plivo reaches us at; callback URLs and signature checks are built from it, never from Host. */
  publicBaseUrl: string;
  logLevel: string;
  /** How often callbacks that arrived before their message are retried (0 = never). */
  unmatchedCallbackSweepMs: number;
  /** True when main.ts replaced Plivo and/or MongoDB with local stand-ins. */
  sandbox: { plivo: boolean; database: boolean };
}

export const appConfig = registerAs('app', (): AppConfig => {
  const env = validateConfig(process.env, AppEnv);
  const port = env.SERVER_PORT ?? 3000;
  const nodeEnv = (env.NODE_ENV ?? 'development') as AppConfig['nodeEnv'];
  return {
    nodeEnv,
    port,
    publicBaseUrl: publicBaseUrl(env.PUBLIC_BASE_URL, port, nodeEnv === 'production'),
    unmatchedCallbackSweepMs: env.UNMATCHED_CALLBACK_SWEEP_MS ?? 5000,
    logLevel: env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    sandbox: {
      plivo: process.env.SANDBOX_PLIVO === 'true',
      database: process.env.SANDBOX_DATABASE === 'true',
    },
  };
});

/**
 * Plivo posts callbacks to this URL and signatures are checked against it, so in production it
 * must be given (a localhost default would silently lose every callback), and it must be a
 * plain base: a query string or fragment would corrupt every URL built from it.
 */
export function publicBaseUrl(
  value: string | undefined,
  port: number,
  production: boolean,
): string {
  if (value === undefined || value === '') {
    if (production)
      throw new Error(
        'Invalid configuration:\n  - PUBLIC_BASE_URL: required in production (the URL Plivo calls back, e.g. https://mms.example.com)',
      );
    return `http://localhost:${port}`;
  }
  const url = new URL(value);
  if (url.search || url.hash || url.username || url.password) {
    throw new Error(
      'Invalid configuration:\n  - PUBLIC_BASE_URL: must be a base URL without query string, fragment or credentials',
    );
  }
  return value.replace(/\/+$/, '');
}
