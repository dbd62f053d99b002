import { ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerModuleOptions,
  ThrottlerStorage,
} from '@nestjs/throttler';
import { ApiKeyVerifier } from '../auth/api-key.verifier';
import { AllConfig } from '../config/config.type';
import { ClientThrottlerGuard } from './client-throttler.guard';

/** The bucket of webhook requests refused for their signature (not a ThrottlerModule limit). */
export const UNSIGNED_WEBHOOK_THROTTLER = 'webhook-unsigned';

/**
 * Webhook requests whose Plivo signature failed, counted per IP in a bucket of their own
 * (WEBHOOK_UNSIGNED_THROTTLE_LIMIT per WEBHOOK_THROTTLE_TTL_MS) by the signature guard, once it
 * has refused one: past the limit they are 429s, so an unsigned flood is limited too, while the
 * signed requests' bucket (WebhookThrottlerGuard) never sees them. Counted after the check, never
 * before it: Plivo's requests from the same address (one proxy, TRUST_PROXY=false) still pass.
 * Not registered with ThrottlerModule, whose every limit the global guard applies to every route
 * that does not skip it by name.
 */
@Injectable()
export class UnsignedWebhookThrottle extends ClientThrottlerGuard {
  private readonly limit: number;
  private readonly ttlMs: number;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    keys: ApiKeyVerifier,
    config: ConfigService<AllConfig, true>,
  ) {
    super(options, storage, reflector, keys);
    const throttle = config.get('http.throttle', { infer: true });
    this.limit = throttle.webhookUnsignedLimit;
    this.ttlMs = throttle.webhookTtlMs;
  }

  /** Counts one refused request; throws the 429 (ThrottlerException) once the bucket is full. */
  async count(context: ExecutionContext): Promise<void> {
    await this.handleRequest({
      context,
      limit: this.limit,
      ttl: this.ttlMs,
      throttler: { name: UNSIGNED_WEBHOOK_THROTTLER, limit: this.limit, ttl: this.ttlMs },
      blockDuration: this.ttlMs,
      getTracker: this.getTracker.bind(this),
      generateKey: this.generateKey.bind(this),
    });
  }
}
