import { StatusCallbacksConfig } from '../../config/status-callbacks.config';

/**
 * The wait before attempt `failures + 1`: STATUS_CALLBACK_RETRY_BASE_MS, doubling at each
 * failure, plus up to a quarter more at random (jitter), and never over one hour. The jitter
 * spreads the retries of events that failed together (an endpoint that was down) instead of
 * sending them to the recovered endpoint in one burst; it only ever adds, so no retry comes
 * sooner than the base says.
 */
export function retryDelayMs(
  failures: number,
  settings: Pick<StatusCallbacksConfig, 'retryBaseMs' | 'retryCapMs'>,
  random: () => number = Math.random,
): number {
  const exponential = settings.retryBaseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30);
  return Math.round(Math.min(settings.retryCapMs, exponential * (1 + random() / 4)));
}
