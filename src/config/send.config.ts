import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { Environment, isProduction, validateConfig } from './validate-config';

class SendEnv {
  @IsOptional()
  @IsIn(['true', 'false'])
  IDEMPOTENCY_REQUIRED?: string;

  @IsOptional()
  @IsIn(['true', 'false'])
  MEDIA_ALLOW_HTTP?: string;

  @IsOptional()
  @IsIn(['true', 'false'])
  MEDIA_PREFLIGHT?: string;

  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(30000)
  MEDIA_PREFLIGHT_TIMEOUT_MS?: number;

  @IsOptional()
  @IsIn(['true', 'false'])
  FALLBACK_TO_SMS?: string;
}

/** Policies of the send path: idempotency, media URL checks, SMS fallback. */
export interface SendConfig {
  idempotencyRequired: boolean;
  mediaAllowHttp: boolean;
  mediaPreflight: boolean;
  mediaPreflightTimeoutMs: number;
  fallbackToSms: boolean;
}

export function buildSendConfig(env: Environment): SendConfig {
  const valid = validateConfig(env, SendEnv);
  const production = isProduction(env);
  return {
    idempotencyRequired: valid.IDEMPOTENCY_REQUIRED === 'true',
    mediaAllowHttp: mediaAllowHttp(env),
    mediaPreflight: valid.MEDIA_PREFLIGHT ? valid.MEDIA_PREFLIGHT === 'true' : production,
    mediaPreflightTimeoutMs: valid.MEDIA_PREFLIGHT_TIMEOUT_MS ?? 3000,
    fallbackToSms: valid.FALLBACK_TO_SMS === 'true',
  };
}

/** MEDIA_ALLOW_HTTP, by default on outside production: the policy of media and callback URLs. */
export const mediaAllowHttp = (env: Environment): boolean =>
  env.MEDIA_ALLOW_HTTP ? env.MEDIA_ALLOW_HTTP === 'true' : !isProduction(env);
