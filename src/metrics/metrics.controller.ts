import { Controller, Get, Header, NotFoundException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../auth/public.decorator';
import { AllConfig } from '../config/config.type';
import { MetricsService } from './metrics.service';

/** Scraped by Prometheus inside the cluster; not exposed through the public ingress. */
@ApiExcludeController()
@Public()
@SkipThrottle({ default: true, webhook: true })
@Controller('metrics')
export class MetricsController {
  private readonly enabled: boolean;

  constructor(
    private readonly metrics: MetricsService,
    config: ConfigService<AllConfig, true>,
  ) {
    this.enabled = config.get('http.metricsEnabled', { infer: true });
  }

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(): Promise<string> {
    if (!this.enabled) throw new NotFoundException('Metrics are disabled (METRICS_ENABLED=false)');
    return this.metrics.registry.metrics();
  }
}
