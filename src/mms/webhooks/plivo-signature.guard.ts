import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  Logger,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request } from 'express';
import { AllConfig } from '../../config/config.type';
import { MetricsService } from '../../metrics/metrics.service';
import { LogSampler } from '../../shared/log-sampler';
import { UnsignedWebhookThrottle } from '../../throttling/unsigned-webhook-throttle';
import { SignedParams, verifyV2Signature, verifyV3Signature } from './plivo-signature';

/** A flood of forged requests writes one warning per this long, with the count in between. */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

/**
 * Only Plivo may change a message's status. The URL that was signed is rebuilt from
 * PUBLIC_BASE_URL and the request path — never from Host or X-Forwarded-*, which whoever sits
 * in front of us (or an attacker) controls. A refused request counts in its IP's bucket of
 * unsigned requests (UnsignedWebhookThrottle): past WEBHOOK_UNSIGNED_THROTTLE_LIMIT, a 429.
 */
@Injectable()
export class PlivoSignatureGuard implements CanActivate {
  private readonly logger = new Logger(PlivoSignatureGuard.name);
  private readonly tokens: string[];
  private readonly allowV2: boolean;
  private readonly publicBaseUrl: string;
  private readonly refusalLog = new LogSampler(REFUSAL_LOG_INTERVAL_MS);

  constructor(
    config: ConfigService<AllConfig, true>,
    private readonly metrics: MetricsService,
    private readonly unsignedThrottle: UnsignedWebhookThrottle,
  ) {
    this.tokens = config.get('plivo.webhookTokens', { infer: true });
    this.allowV2 = config.get('plivo.webhookAllowV2', { infer: true });
    this.publicBaseUrl = config.get('app.publicBaseUrl', { infer: true });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const url = this.publicBaseUrl + req.originalUrl;
    const header = (name: string) => {
      const value = req.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    const v3 = header('x-plivo-signature-v3');
    if (v3 !== undefined) {
      const params = req.method === 'POST' ? signedParams(req.body) : {};
      const ok = verifyV3Signature({
        method: req.method,
        url,
        params,
        nonce: header('x-plivo-signature-v3-nonce'),
        header: v3,
        authTokens: this.tokens,
      });
      if (ok) return true;
    } else if (this.allowV2 && header('x-plivo-signature-v2') !== undefined) {
      // V2 signs only URL + nonce: the body could be swapped by anyone who saw one request.
      const ok = verifyV2Signature({
        url,
        nonce: header('x-plivo-signature-v2-nonce'),
        header: header('x-plivo-signature-v2'),
        authTokens: this.tokens,
      });
      if (ok) return true;
    }
    this.metrics.webhookEvents.inc({
      kind: req.path.endsWith('/inbound') ? 'inbound' : 'status',
      status: 'unknown',
      verdict: 'forged',
    });
    const logged = this.refusalLog.take();
    if (logged)
      this.logger.warn(
        {
          path: req.path,
          scheme: v3 !== undefined ? 'v3' : header('x-plivo-signature-v2') ? 'v2' : 'none',
          // Refused since the previous line (at most one per REFUSAL_LOG_INTERVAL_MS).
          notLogged: logged.skipped,
        },
        'Refused a webhook with a missing or invalid Plivo signature',
      );
    await this.unsignedThrottle.count(context);
    throw new ForbiddenException({
      message: 'Missing or invalid Plivo signature',
      code: 'INVALID_SIGNATURE',
    });
  }
}

/** The body as Plivo signed it: form fields are strings (or string arrays when repeated). */
function signedParams(body: unknown): SignedParams {
  const params: SignedParams = {};
  if (!body || typeof body !== 'object' || Array.isArray(body)) return params;
  for (const [key, value] of Object.entries(body)) {
    if (
      typeof value === 'string' ||
      (Array.isArray(value) && value.every((v) => typeof v === 'string'))
    )
      params[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') params[key] = String(value);
  }
  return params;
}
