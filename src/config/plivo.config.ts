import {
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  Min,
  Validate,
} from 'class-validator';
import { IsE164PhoneNumber } from '../shared/is-e164-phone-number';
import { Environment, splitList, validateConfig } from './validate-config';

class PlivoEnv {
  @IsString()
  @IsNotEmpty()
  PLIVO_AUTH_ID: string;

  @IsString()
  @IsNotEmpty()
  PLIVO_AUTH_TOKEN: string;

  @Validate(IsE164PhoneNumber)
  PLIVO_SENDER_NUMBER: string;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  PLIVO_API_URL?: string;

  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(120000)
  PLIVO_TIMEOUT_MS?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10)
  PLIVO_MAX_RETRIES?: number;

  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(300000)
  PLIVO_SEND_DEADLINE_MS?: number;

  /** Extra tokens accepted on webhooks while a rotated token is still in flight. */
  @IsOptional()
  @IsString()
  PLIVO_WEBHOOK_AUTH_TOKENS?: string;

  @IsOptional()
  @IsIn(['true', 'false'])
  PLIVO_WEBHOOK_ALLOW_V2?: string;
}

export interface PlivoConfig {
  authId: string;
  authToken: string;
  senderNumber: string;
  apiUrl: string;
  timeoutMs: number;
  maxRetries: number;
  sendDeadlineMs: number;
  /** PLIVO_AUTH_TOKEN first, then the rotation tokens. */
  webhookTokens: string[];
  webhookAllowV2: boolean;
}

export function buildPlivoConfig(env: Environment): PlivoConfig {
  const valid = validateConfig(env, PlivoEnv);
  const extra = splitList(valid.PLIVO_WEBHOOK_AUTH_TOKENS);
  return {
    authId: valid.PLIVO_AUTH_ID,
    authToken: valid.PLIVO_AUTH_TOKEN,
    senderNumber: valid.PLIVO_SENDER_NUMBER,
    apiUrl: (valid.PLIVO_API_URL ?? 'https://api.plivo.com').replace(/\/+$/, ''),
    timeoutMs: valid.PLIVO_TIMEOUT_MS ?? 15000,
    maxRetries: valid.PLIVO_MAX_RETRIES ?? 3,
    sendDeadlineMs: valid.PLIVO_SEND_DEADLINE_MS ?? 20000,
    webhookTokens: [valid.PLIVO_AUTH_TOKEN, ...extra],
    webhookAllowV2: valid.PLIVO_WEBHOOK_ALLOW_V2 === 'true',
  };
}
