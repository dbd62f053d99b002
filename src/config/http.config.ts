import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { sha256 } from '../shared/crypto';
import {
  ConfigurationError,
  Environment,
  isProduction,
  splitList,
  validateConfig,
} from './validate-config';

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

  /** POST /campaigns only: 10,000 recipients take about 200 kB of JSON. */
  @IsOptional()
  @Matches(/^[1-9]\d*(b|kb|mb)$/i, { message: 'CAMPAIGN_BODY_LIMIT must look like 100kb or 1mb' })
  CAMPAIGN_BODY_LIMIT?: string;

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
  @IsInt()
  @Min(1)
  WEBHOOK_UNSIGNED_THROTTLE_LIMIT?: number;

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

  /** The bearer token /metrics requires; required in production while metrics are on. */
  @IsOptional()
  @IsString()
  METRICS_TOKEN?: string;
}

export interface HttpConfig {
  docsEnabled: boolean;
  corsOrigins: string[];
  trustProxy: boolean | number | string;
  bodyLimit: string;
  /** The body limit of the /campaigns routes (a campaign carries up to 10,000 recipients). */
  campaignBodyLimit: string;
  logPii: boolean;
  throttle: {
    limit: number;
    ttlMs: number;
    webhookLimit: number;
    webhookTtlMs: number;
    /** Webhook requests refused for their signature, per IP per webhookTtlMs: then 429. */
    webhookUnsignedLimit: number;
    redisUrl?: string;
  };
  shutdownDelayMs: number;
  metricsEnabled: boolean;
  /** SHA-256 of METRICS_TOKEN: /metrics answers only `Authorization: Bearer <it>`; none = open. */
  metricsTokenDigest?: Buffer;
}

const MIN_METRICS_TOKEN_LENGTH = 16;

/**
 * In production /docs is off unless DOCS_ENABLED=true, and /metrics (client names, volumes)
 * needs METRICS_TOKEN: a production start without it, metrics on, is refused rather than
 * serving nothing, so a Prometheus whose scrapes would fail is told at deploy time, by name.
 */
export function buildHttpConfig(env: Environment): HttpConfig {
  const valid = validateConfig(env, HttpEnv);
  const production = isProduction(env);
  const metricsEnabled = valid.METRICS_ENABLED !== 'false';
  const token = valid.METRICS_TOKEN;
  const problems: string[] = [];
  if (production && metricsEnabled && token === undefined)
    problems.push(
      'METRICS_TOKEN: required in production while METRICS_ENABLED is not false (Prometheus sends it as Authorization: Bearer <token>)',
    );
  if (token !== undefined && (token.length < MIN_METRICS_TOKEN_LENGTH || /\s/.test(token)))
    problems.push(
      `METRICS_TOKEN: must be at least ${MIN_METRICS_TOKEN_LENGTH} characters, without spaces`,
    );
  if (problems.length > 0) throw new ConfigurationError(problems);
  return {
    docsEnabled: valid.DOCS_ENABLED === undefined ? !production : valid.DOCS_ENABLED === 'true',
    corsOrigins: splitList(valid.CORS_ORIGINS),
    trustProxy: parseTrustProxy(valid.TRUST_PROXY),
    bodyLimit: valid.BODY_LIMIT ?? '100kb',
    campaignBodyLimit: valid.CAMPAIGN_BODY_LIMIT ?? '1mb',
    logPii: valid.LOG_PII === 'true',
    throttle: {
      limit: valid.THROTTLE_LIMIT ?? 100,
      ttlMs: valid.THROTTLE_TTL_MS ?? 15 * 60 * 1000,
      webhookLimit: valid.WEBHOOK_THROTTLE_LIMIT ?? 10000,
      webhookTtlMs: valid.WEBHOOK_THROTTLE_TTL_MS ?? 60 * 1000,
      webhookUnsignedLimit: valid.WEBHOOK_UNSIGNED_THROTTLE_LIMIT ?? 100,
      redisUrl: valid.REDIS_URL,
    },
    shutdownDelayMs: valid.SHUTDOWN_DELAY_MS ?? 5000,
    metricsEnabled,
    metricsTokenDigest: token === undefined ? undefined : sha256(token),
  };
}

function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}
