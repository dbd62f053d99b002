import { StatusCallbacksConfig } from '../../config/status-callbacks.config';

/**
 * The wait before attempt `failures + 1`: exponential from STATUS_CALLBACK_RETRY_BASE_MS,
 * capped at one hour, with "equal jitter" (half fixed, half random) so the retries of many
 * events that failed together (an endpoint that was down) spread out instead of arriving at
 * the recovered endpoint in one burst.
 */
export function retryDelayMs(
  failures: number,
  settings: Pick<StatusCallbacksConfig, 'retryBaseMs' | 'retryCapMs'>,
  random: () => number = Math.random,
): number {
  const exponential = settings.retryBaseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30);
  const ceiling = Math.min(settings.retryCapMs, exponential);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
