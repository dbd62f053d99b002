import { ExecutionContext, ForbiddenException, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ThrottlerException } from '@nestjs/throttler';
import { AllConfig } from '../../config/config.type';
import { MetricsService } from '../../metrics/metrics.service';
import { UnsignedWebhookThrottle } from '../../throttling/unsigned-webhook-throttle';
import { PlivoSignatureGuard } from './plivo-signature.guard';

const CONFIG: Record<string, unknown> = {
  'plivo.webhookTokens': ['t'.repeat(20)],
  'plivo.webhookAllowV2': false,
  'app.publicBaseUrl': 'https://gw.example.com',
};

function forgedRequest(): ExecutionContext {
  const req = {
    method: 'POST',
    originalUrl: '/webhooks/plivo/status',
    path: '/webhooks/plivo/status',
    headers: { 'x-plivo-signature-v3': 'Zm9yZ2Vk', 'x-plivo-signature-v3-nonce': 'n' },
    body: { MessageUUID: 'u' },
  };
  return { switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext;
}

describe('PlivoSignatureGuard: refused requests', () => {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  function guard(limit: number) {
    let counted = 0;
    const throttle = {
      count: jest.fn(async () => {
        if (++counted > limit) throw new ThrottlerException();
      }),
    };
    const metrics = new MetricsService();
    const config = { get: (key: string) => CONFIG[key] } as unknown as ConfigService<
      AllConfig,
      true
    >;
    return {
      guard: new PlivoSignatureGuard(
        config,
        metrics,
        throttle as unknown as UnsignedWebhookThrottle,
      ),
      throttle,
      metrics,
    };
  }

  it('a flood writes one warning (then one per interval), is counted in full, and is a 429 past the unsigned limit', async () => {
    const { guard: g, throttle, metrics } = guard(3);
    const outcomes: string[] = [];
    for (let i = 0; i < 50; i++)
      outcomes.push(
        await Promise.resolve()
          .then(() => g.canActivate(forgedRequest()))
          .then(
            () => 'passed',
            (e: unknown) => (e as object).constructor.name,
          ),
      );
    expect(outcomes.slice(0, 4)).toEqual([
      ForbiddenException.name,
      ForbiddenException.name,
      ForbiddenException.name,
      ThrottlerException.name,
    ]);
    expect(new Set(outcomes.slice(3))).toEqual(new Set([ThrottlerException.name]));
    expect(throttle.count).toHaveBeenCalledTimes(50);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatchObject({ path: '/webhooks/plivo/status', notLogged: 0 });
    const counted = await metrics.webhookEvents.get();
    expect(counted.values.find((v) => v.labels.verdict === 'forged')?.value).toBe(50);
  });
});
