import { registerAs } from '@nestjs/config';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { isProduction, validateConfig } from './validate-config';

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

export const sendConfig = registerAs('send', (): SendConfig => {
  const env = validateConfig(process.env, SendEnv);
  const production = isProduction();
  return {
    idempotencyRequired: env.IDEMPOTENCY_REQUIRED === 'true',
    mediaAllowHttp: env.MEDIA_ALLOW_HTTP ? env.MEDIA_ALLOW_HTTP === 'true' : !production,
    mediaPreflight: env.MEDIA_PREFLIGHT ? env.MEDIA_PREFLIGHT === 'true' : production,
    mediaPreflightTimeoutMs: env.MEDIA_PREFLIGHT_TIMEOUT_MS ?? 3000,
    fallbackToSms: env.FALLBACK_TO_SMS === 'true',
  };
});
