import { StatusCallbacksConfig } from '../../config/status-callbacks.config';
import { CallbackEvent } from '../message-log/callback-event.schema';
import { AttemptOutcome } from './callback-outbox.repository';
import { PostResult } from './callback-http';

type RetrySettings = Pick<StatusCallbacksConfig, 'retryBaseMs' | 'retryCapMs' | 'maxAgeMs'>;
/** What the rules read of an event (a message's, or a campaign's completion event). */
type RetriedEvent = Pick<CallbackEvent, 'occurredAt' | 'attempts'>;

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

/** What an answer does to its event: 2xx done; 410 stop; a URL now refused, abandoned; else retried. */
export function outcomeOf(
  result: PostResult,
  event: RetriedEvent,
  at: Date,
  settings: RetrySettings,
): AttemptOutcome {
  if ('httpStatus' in result) {
    const httpStatus = result.httpStatus;
    if (httpStatus >= 200 && httpStatus < 300) return { state: 'delivered', at, httpStatus };
    if (httpStatus === 410) return { state: 'stopped', at, httpStatus, stopMessage: true };
  } else if (result.blocked) {
    return { state: 'abandoned', at, error: result.error, attempted: false };
  }
  return retryOrAbandon(result, event, at, settings);
}

/**
 * Pending again after the backoff (or, `waitLongest`, after the cap), but never later than the
 * event's max age; at that age, abandoned. `attempted: false`: settled without a request.
 */
export function retryOrAbandon(
  result: PostResult,
  event: RetriedEvent,
  at: Date,
  settings: RetrySettings,
  { attempted = true, waitLongest = false } = {},
): AttemptOutcome {
  const base = 'httpStatus' in result ? { httpStatus: result.httpStatus } : { error: result.error };
  const expires = new Date(event.occurredAt).getTime() + settings.maxAgeMs;
  if (at.getTime() >= expires) return { state: 'abandoned', at, attempted, ...base };
  const failures = (event.attempts ?? 0) + (attempted ? 1 : 0);
  const wait = waitLongest ? settings.retryCapMs : retryDelayMs(Math.max(failures, 1), settings);
  const next = Math.min(at.getTime() + wait, expires);
  return { state: 'pending', at, attempted, ...base, nextAttemptAt: new Date(next) };
}
