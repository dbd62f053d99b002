import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ConfigurationError, Environment, validateConfig } from './validate-config';

const DAY_MS = 86_400_000;

class PendingReconcilerEnv {
  @IsOptional()
  @IsInt()
  @Min(1000)
  @Max(7 * DAY_MS)
  PENDING_RECONCILE_AFTER_MS?: number;

  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(DAY_MS)
  PENDING_RECONCILE_INTERVAL_MS?: number;
}

/** The reconciler of messages left `pending` by a request that stopped (docs/api.md "POST /send-mms"). */
export interface PendingReconcilerConfig {
  /** A message still pending this long after its request began can no longer be answered. */
  afterMs: number;
  /** How often each replica looks for such messages. */
  intervalMs: number;
}

/**
 * `longestRequestMs`: the longest a request can run (configuration.ts), the default and the
 * least PENDING_RECONCILE_AFTER_MS may be: any less would call a message `unknown` while its
 * request may still be sending it.
 */
export function buildPendingReconcilerConfig(
  env: Environment,
  longestRequestMs: number,
): PendingReconcilerConfig {
  const valid = validateConfig(env, PendingReconcilerEnv);
  const afterMs = valid.PENDING_RECONCILE_AFTER_MS ?? longestRequestMs;
  if (afterMs < longestRequestMs)
    throw new ConfigurationError([
      `PENDING_RECONCILE_AFTER_MS: must be at least the longest a request can run, ${longestRequestMs} ms (PLIVO_SEND_DEADLINE_MS + MEDIA_PREFLIGHT_TIMEOUT_MS + 5000)`,
    ]);
  return { afterMs, intervalMs: valid.PENDING_RECONCILE_INTERVAL_MS ?? 30_000 };
}
