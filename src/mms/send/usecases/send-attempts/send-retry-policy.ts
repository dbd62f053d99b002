import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../../../config/config.type';
import { ProviderSendError } from '../../../plivo/messaging-provider';

/** Minimum time an attempt needs to be worth starting. */
export const RETRY_HEADROOM_MS = 250;

export interface SendDeadline {
  readonly endsAt: number;
  /** Rejects as an ambiguous failure when the deadline passes first. */
  race<T>(work: Promise<T>): Promise<T>;
}

/** Exponential backoff with equal jitter (base 500 ms, cap 5 s) inside one total deadline. */
@Injectable()
export class SendRetryPolicy {
  private readonly maxRetries: number;
  private readonly deadlineMs: number;
  constructor(config: ConfigService<AllConfig, true>) {
    this.maxRetries = config.get('plivo.maxRetries', { infer: true });
    this.deadlineMs = config.get('plivo.sendDeadlineMs', { infer: true });
  }

  static readonly BASE_MS = 500;
  static readonly CAP_MS = 5000;

  startDeadline(): SendDeadline {
    const endsAt = Date.now() + this.deadlineMs;
    return {
      endsAt,
      race<T>(work: Promise<T>): Promise<T> {
        let timer: NodeJS.Timeout | undefined;
        const expired = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new ProviderSendError({
                  kind: 'ambiguous',
                  reason: 'Send deadline exceeded while waiting for Plivo',
                  retryable: false,
                }),
              ),
            Math.max(0, endsAt - Date.now()),
          );
        });
        return Promise.race([work, expired]).finally(() => clearTimeout(timer));
      },
    };
  }

  /** The wait before retry number `attempt` (1-based), or undefined when no retry is left. */
  nextDelay(attempt: number, deadline: SendDeadline): number | undefined {
    if (attempt > this.maxRetries) return undefined;
    const ceiling = Math.min(SendRetryPolicy.CAP_MS, SendRetryPolicy.BASE_MS * 2 ** (attempt - 1));
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    // Leave the next attempt some room; a retry that cannot finish is worse than an honest 503.
    return Date.now() + delay + RETRY_HEADROOM_MS < deadline.endsAt ? delay : undefined;
  }
}
