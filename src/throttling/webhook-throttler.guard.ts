import { ExecutionContext, Injectable } from '@nestjs/common';
import { ClientThrottlerGuard } from './client-throttler.guard';

/** The throttler of Plivo's webhooks (ThrottlingModule). */
export const WEBHOOK_THROTTLER = 'webhook';

/**
 * The webhooks' limit (WEBHOOK_THROTTLE_LIMIT per WEBHOOK_THROTTLE_TTL_MS), as a route guard
 * placed after the signature guard: only requests Plivo signed are counted. Counted before it,
 * an unsigned flood from one address (behind a proxy with TRUST_PROXY=false, every caller is
 * the proxy's address) would push Plivo's real callbacks, STOPs included, into 429; now each
 * forged request is a 403 and costs the bucket nothing.
 *
 * Global guards run before any route guard, so the webhook routes skip both throttlers there
 * (@SkipThrottle) and this guard applies the webhook one whatever that metadata says.
 */
@Injectable()
export class WebhookThrottlerGuard extends ClientThrottlerGuard {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const throttler = this.throttlers.find((t) => t.name === WEBHOOK_THROTTLER);
    if (!throttler) return true;
    const ttl = Number(throttler.ttl);
    return this.handleRequest({
      context,
      limit: Number(throttler.limit),
      ttl,
      throttler,
      blockDuration: ttl,
      getTracker: this.commonOptions.getTracker!,
      generateKey: this.commonOptions.generateKey!,
    });
  }
}
