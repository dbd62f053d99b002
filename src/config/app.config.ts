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
    publicBaseUrl: (env.PUBLIC_BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    unmatchedCallbackSweepMs: env.UNMATCHED_CALLBACK_SWEEP_MS ?? 5000,
    logLevel: env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    sandbox: {
      plivo: process.env.SANDBOX_PLIVO === 'true',
      database: process.env.SANDBOX_DATABASE === 'true',
    },
  };
});
