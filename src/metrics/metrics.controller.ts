import {
  Controller,
  Get,
  Header,
  NotFoundException,
  Req,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { Public } from '../auth/public.decorator';
import { AllConfig } from '../config/config.type';
import { sha256 } from '../shared/crypto';
import { ApiErrorResponse } from '../shared/error-response.dto';
import { MetricsService } from './metrics.service';

/**
 * Scraped by Prometheus. Its series name clients and their volumes, so with METRICS_TOKEN set
 * (required in production) it answers only `Authorization: Bearer <METRICS_TOKEN>`, which
 * Prometheus sends from a scrape job's `authorization` setting.
 */
@ApiTags('metrics')
@Public()
@SkipThrottle({ default: true, webhook: true })
@Controller('metrics')
export class MetricsController {
  private readonly enabled: boolean;
  private readonly tokenDigest?: Buffer;

  constructor(
    private readonly metrics: MetricsService,
    config: ConfigService<AllConfig, true>,
  ) {
    const http = config.get('http', { infer: true });
    this.enabled = http.metricsEnabled;
    this.tokenDigest = http.metricsTokenDigest;
  }

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Prometheus metrics (text format)',
    description:
      'With METRICS_TOKEN set (required in production) only `Authorization: Bearer <METRICS_TOKEN>` is answered. Not served with METRICS_ENABLED=false.',
  })
  @ApiResponse({
    status: 200,
    description: 'The Prometheus text exposition format.',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiErrorResponse(
    401,
    'METRICS_TOKEN is set and the request does not carry it as `Authorization: Bearer`.',
    ['METRICS_TOKEN_REQUIRED'],
  )
  async scrape(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<string> {
    if (!this.enabled) throw new NotFoundException('Metrics are disabled (METRICS_ENABLED=false)');
    if (this.tokenDigest && !this.authorized(req)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new UnauthorizedException({
        message: 'Send the metrics token: Authorization: Bearer <METRICS_TOKEN>',
        code: 'METRICS_TOKEN_REQUIRED',
      });
    }
    res.type(this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }

  /** Compared as SHA-256 digests in constant time, like the API keys. */
  private authorized(req: Request): boolean {
    const header = req.headers.authorization;
    const token = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
    return token !== undefined && timingSafeEqual(sha256(token), this.tokenDigest!);
  }
}
