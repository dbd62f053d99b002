import { IsInt, IsNumber, IsOptional, Max, Min } from 'class-validator';
import { SandboxState } from './app.config';
import { ConfigurationError, Environment, validateConfig } from './validate-config';

const MAX_RATE = 10_000;
/** validUntil is at most this long after sendAt (72 h). */
export const VALIDITY_MAX_S = 72 * 3600;

class DispatchEnv {
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(MAX_RATE)
  PACING_ACCOUNT_MMS_PER_SECOND?: number;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(MAX_RATE)
  PACING_ACCOUNT_SMS_PER_SECOND?: number;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(MAX_RATE)
  PACING_SENDER_MMS_PER_SECOND?: number;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(MAX_RATE)
  PACING_SENDER_SMS_PER_SECOND?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(3000)
  // At most 3 s: a request's wait for its slot must stay within the 5 s that the longest request
  // (the Idempotency-Key lease, the shutdown drain, the pending reconciler) allows beyond its
  // sends and preflight.
  PACING_MAX_WAIT_MS?: number;

  /** Plivo's own queue limit (3 h) unless a send says otherwise. */
  @IsOptional()
  @IsInt()
  @Min(5)
  @Max(VALIDITY_MAX_S)
  SEND_VALIDITY_DEFAULT_S?: number;

  @IsOptional()
  @IsInt()
  @Min(20)
  @Max(60_000)
  DISPATCH_POLL_MS?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  DISPATCH_CONCURRENCY?: number;

  @IsOptional()
  @IsInt()
  @Min(1000)
  @Max(600_000)
  DISPATCH_LEASE_MS?: number;
}

/** One channel's caps in messages per second; 0 = no cap. */
export interface ChannelRates {
  mms: number;
  sms: number;
}

/** The gateway's dispatch queue: scheduled sends, validity and pacing (docs/dispatch.md "Pacing"). */
export interface DispatchConfig {
  /** Account-wide caps, shared by every replica (0 = off). */
  account: ChannelRates;
  /** Caps per sender number, on top of the account's (0 = off). */
  sender: ChannelRates;
  /** An immediate send whose slot is at most this far away is sent in the request. */
  maxWaitMs: number;
  /** validUntil when a send gives none: sendAt + this. */
  validityDefaultS: number;
  /** How often each replica looks for due messages when idle. */
  pollMs: number;
  /** Messages one replica hands to Plivo at once. */
  concurrency: number;
  /** How long a claimed message is its dispatcher's before another may take it over. */
  leaseMs: number;
  /** Whether any cap is on. */
  pacing: boolean;
}

/**
 * Plivo's documented defaults (an account takes 0.25 MMS/s and 5 SMS/s; what exceeds that waits
 * in Plivo's queue and fails with error 420 after 3 hours:
 * https://support.plivo.com/hc/en-us/sections/360008203752-General) from the production entry
 * point; off in the sandbox, whose simulator has no rate unless asked.
 */
export function buildDispatchConfig(env: Environment, sandbox?: SandboxState): DispatchConfig {
  const valid = validateConfig(env, DispatchEnv);
  const pollMs = valid.DISPATCH_POLL_MS ?? 250;
  const leaseMs = valid.DISPATCH_LEASE_MS ?? 30_000;
  // A dispatcher takes a message up to one poll ahead of its time and holds it to the end of
  // its lease: a lease not well past the poll would be taken over while still held.
  if (leaseMs < 2 * pollMs + 1000)
    throw new ConfigurationError([
      `DISPATCH_LEASE_MS: must be at least twice DISPATCH_POLL_MS + 1000 (${2 * pollMs + 1000})`,
    ]);
  const simulated = sandbox?.plivo === true;
  const account = {
    mms: valid.PACING_ACCOUNT_MMS_PER_SECOND ?? (simulated ? 0 : 0.25),
    sms: valid.PACING_ACCOUNT_SMS_PER_SECOND ?? (simulated ? 0 : 5),
  };
  const sender = {
    mms: valid.PACING_SENDER_MMS_PER_SECOND ?? 0,
    sms: valid.PACING_SENDER_SMS_PER_SECOND ?? 0,
  };
  return {
    account,
    sender,
    maxWaitMs: valid.PACING_MAX_WAIT_MS ?? 1000,
    validityDefaultS: valid.SEND_VALIDITY_DEFAULT_S ?? 10_800,
    pollMs,
    concurrency: valid.DISPATCH_CONCURRENCY ?? 10,
    leaseMs,
    pacing: [account.mms, account.sms, sender.mms, sender.sms].some((rate) => rate > 0),
  };
}
