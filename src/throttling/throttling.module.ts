import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import { AllConfig } from '../config/config.type';
import { ResilientRedisThrottlerStorage } from './resilient-redis-storage';

/**
 * Two limits: `default` for client routes (per key, else per IP) and `webhook`, much larger,
 * for Plivo's callback bursts. Routes opt out of the one that is not theirs with @SkipThrottle.
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
            { name: 'webhook', limit: t.webhookLimit, ttl: t.webhookTtlMs },
          ],
          storage: t.redisUrl ? new ResilientRedisThrottlerStorage(t.redisUrl) : undefined,
          errorMessage: 'Too many requests: slow down and retry after the Retry-After delay',
        };
      },
    }),
  ],
})
export class ThrottlingModule {}
