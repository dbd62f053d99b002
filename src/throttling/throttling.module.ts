import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import { AllConfig } from '../config/config.type';
import { ResilientRedisThrottlerStorage } from './resilient-redis-storage';
import { WEBHOOK_THROTTLER } from './webhook-throttler.guard';

/**
 * Two limits: `default` for client routes (per key, else per IP), applied by the global
 * ClientThrottlerGuard, and `webhook`, much larger, for Plivo's callback bursts, applied after
 * the signature check by WebhookThrottlerGuard. Routes opt out of the global guard's limits
 * that are not theirs with @SkipThrottle.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AllConfig, true>) => {
        const t = config.get('http.throttle', { infer: true });
        return {
          throttlers: [
            { name: 'default', limit: t.limit, ttl: t.ttlMs },
            { name: WEBHOOK_THROTTLER, limit: t.webhookLimit, ttl: t.webhookTtlMs },
          ],
          storage: t.redisUrl ? new ResilientRedisThrottlerStorage(t.redisUrl) : undefined,
          errorMessage: 'Too many requests: slow down and retry after the Retry-After delay',
        };
      },
    }),
  ],
})
export class ThrottlingModule {}
