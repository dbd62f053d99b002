import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { Environment, splitList, validateConfig } from './validate-config';

class HttpEnv {
  @IsOptional()
  @IsIn(['true', 'false'])
  DOCS_ENABLED?: string;

  @IsOptional()
  @IsString()
  CORS_ORIGINS?: string;

  /** Express "trust proxy": a hop count, true/false, or a list of addresses/subnets. */
  @IsOptional()
  @Matches(
    /^(true|false|\d{1,2}|(loopback|linklocal|uniquelocal|[0-9a-fA-F.:/]+)(\s*,\s*(loopback|linklocal|uniquelocal|[0-9a-fA-F.:/]+))*)$/,
    {
      message:
        'TRUST_PROXY must be true, false, a hop count, or a comma-separated list of addresses/subnets',
    },
  )
  TRUST_PROXY?: string;

  @IsOptional()
  @Matches(/^[1-9]\d*(b|kb|mb)$/i, { message: 'BODY_LIMIT must look like 100kb or 1mb' })
  BODY_LIMIT?: string;

  @IsOptional()
  @IsIn(['true', 'false'])
  LOG_PII?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  THROTTLE_LIMIT?: number;

  @IsOptional()
  @IsInt()
  @Min(1000)
  THROTTLE_TTL_MS?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  WEBHOOK_THROTTLE_LIMIT?: number;

  @IsOptional()
  @IsInt()
  @Min(1000)
  WEBHOOK_THROTTLE_TTL_MS?: number;

  @IsOptional()
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must start with redis:// or rediss://' })
  REDIS_URL?: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(120000)
  SHUTDOWN_DELAY_MS?: number;

  @IsOptional()
  @IsIn(['true', 'false'])
  METRICS_ENABLED?: string;
}

export interface HttpConfig {
  docsEnabled: boolean;
  corsOrigins: string[];
  trustProxy: boolean | number | string;
  bodyLimit: string;
  logPii: boolean;
  throttle: {
    limit: number;
    ttlMs: number;
    webhookLimit: number;
    webhookTtlMs: number;
    redisUrl?: string;
  };
  shutdownDelayMs: number;
  metricsEnabled: boolean;
}

export function buildHttpConfig(env: Environment): HttpConfig {
  const valid = validateConfig(env, HttpEnv);
  return {
    docsEnabled: valid.DOCS_ENABLED !== 'false',
    corsOrigins: splitList(valid.CORS_ORIGINS),
    trustProxy: parseTrustProxy(valid.TRUST_PROXY),
    bodyLimit: valid.BODY_LIMIT ?? '100kb',
    logPii: valid.LOG_PII === 'true',
    throttle: {
      limit: valid.THROTTLE_LIMIT ?? 100,
      ttlMs: valid.THROTTLE_TTL_MS ?? 15 * 60 * 1000,
      webhookLimit: valid.WEBHOOK_THROTTLE_LIMIT ?? 10000,
      webhookTtlMs: valid.WEBHOOK_THROTTLE_TTL_MS ?? 60 * 1000,
      redisUrl: valid.REDIS_URL,
    },
    shutdownDelayMs: valid.SHUTDOWN_DELAY_MS ?? 5000,
    metricsEnabled: valid.METRICS_ENABLED !== 'false',
  };
}

function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}
