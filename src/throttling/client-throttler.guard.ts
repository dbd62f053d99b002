import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerModuleOptions,
  ThrottlerStorage,
} from '@nestjs/throttler';
import type { Request } from 'express';
import { ApiKeyVerifier, presentedApiKey } from '../auth/api-key.verifier';

/** `Retry-After-webhook` → `Retry-After`: the library suffixes every throttler's name but `default`. */
const THROTTLER_SUFFIX = /^(Retry-After|X-RateLimit-(?:Limit|Remaining|Reset))-.+$/;

/**
 * One bucket per client of a valid API key (its client id: every key of one client shares it,
 * and no key reaches Redis), else per client IP (req.ip, which honours TRUST_PROXY). Invalid
 * keys fall into their IP's bucket, so rotating made-up keys does not escape the limit.
 *
 * Headers: every answer carries X-RateLimit-Limit, -Remaining and -Reset (seconds until the
 * window resets); a 429 also carries Retry-After (seconds). Each route is metered by exactly
 * one limit (client routes `default`, webhooks `webhook`, through @SkipThrottle), so the names
 * carry no throttler suffix on any route.
 */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly keys: ApiKeyVerifier,
  ) {
    super(options, storage, reflector);
  }

  /** One bucket per client across all client routes (the default keys per route). */
  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    throttlerName: string,
  ): string {
    return `${throttlerName}:${tracker}`;
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const request = req as unknown as Request;
    const client = this.keys.identify(presentedApiKey(request));
    if (client) return `client:${client.id}`;
    return `ip:${request.ip ?? 'unknown'}`;
  }

  /** The library sets only Retry-After on a 429; a client also needs the window it hit. */
  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const { res } = this.getRequestResponse(context);
    const retryAfter = Math.max(1, detail.timeToBlockExpire);
    this.setResponseHeader(res, 'Retry-After', retryAfter);
    this.setResponseHeader(res, `${this.headerPrefix}-Limit`, detail.limit);
    this.setResponseHeader(res, `${this.headerPrefix}-Remaining`, 0);
    this.setResponseHeader(res, `${this.headerPrefix}-Reset`, retryAfter);
    return super.throwThrottlingException(context, detail);
  }

  protected override setResponseHeader(
    res: Record<string, unknown>,
    name: string,
    value: string | number,
  ): void {
    super.setResponseHeader(res, name.replace(THROTTLER_SUFFIX, '$1'), value);
  }
}
