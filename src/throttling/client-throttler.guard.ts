import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerModuleOptions,
  ThrottlerStorage,
} from '@nestjs/throttler';
import type { Request } from 'express';
import { ApiKeyVerifier, presentedApiKey } from '../auth/api-key.verifier';

/**
 * One bucket per valid API key (hashed: keys never reach Redis in clear), else per client IP
 * (req.ip, which honours TRUST_PROXY). Invalid keys fall into their IP's bucket, so rotating
 * made-up keys does not escape the limit.
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
}
