import { IsIn, IsInt, IsNotEmpty, IsOptional, IsUrl, Max, Min } from 'class-validator';
import { ConfigurationError, Environment, validateConfig } from './validate-config';

class AppEnv {
  @IsOptional()
  @IsIn(['development', 'production', 'test'])
  NODE_ENV?: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  SERVER_PORT?: number;

  /** The platform convention (Heroku, Cloud Run…), honoured when SERVER_PORT is not set. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT?: number;

  @IsOptional()
  @IsNotEmpty()
  SERVER_HOST?: string;

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
  /** The address to listen on: every interface unless SERVER_HOST says otherwise. */
  host: string;
  /** The URL Plivo reaches us at; callback URLs and signature checks are built from it, never from Host. */
  publicBaseUrl: string;
  logLevel: string;
  /** How often callbacks that arrived before their message are retried (0 = never). */
  unmatchedCallbackSweepMs: number;
  /** What the sandbox entry point stands in for; both false from the production entry point. */
  sandbox: SandboxState;
}

export interface SandboxState {
  plivo: boolean;
  database: boolean;
  /**
   * With API_KEYS empty, every caller is an admin (opt-outs, every client's and the inbound
   * messages). Only the sandbox entry point sets it, and says so at start: the production entry
   * point never runs without keys, and an open caller elsewhere is never an admin.
   */
  openAccessAdmin?: boolean;
}

export function buildAppConfig(
  env: Environment,
  sandbox: SandboxState = { plivo: false, database: false, openAccessAdmin: false },
): AppConfig {
  const valid = validateConfig(env, AppEnv);
  const port = valid.SERVER_PORT ?? valid.PORT ?? 3000;
  const nodeEnv = (valid.NODE_ENV ?? 'development') as AppConfig['nodeEnv'];
  return {
    nodeEnv,
    port,
    host: valid.SERVER_HOST ?? '0.0.0.0',
    publicBaseUrl: publicBaseUrl(valid.PUBLIC_BASE_URL, port, nodeEnv === 'production'),
    unmatchedCallbackSweepMs: valid.UNMATCHED_CALLBACK_SWEEP_MS ?? 5000,
    logLevel: valid.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    sandbox,
  };
}

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
      throw new ConfigurationError([
        'PUBLIC_BASE_URL: required in production (the URL Plivo calls back, e.g. https://mms.example.com)',
      ]);
    return `http://localhost:${port}`;
  }
  const url = new URL(value);
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigurationError([
      'PUBLIC_BASE_URL: must be a base URL without query string, fragment or credentials',
    ]);
  }
  return value.replace(/\/+$/, '');
}
