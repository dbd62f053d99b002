import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiKeyVerifier, presentedApiKey } from './api-key.verifier';
import { RequestWithClient } from './client';
import { IS_PUBLIC } from './public.decorator';

/** Global guard: every route needs a valid API key unless marked @Public(). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyVerifier,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const req = context.switchToHttp().getRequest<RequestWithClient>();
    if (!this.keys.enabled) {
      req.client = this.keys.openAccessClient;
      return true;
    }
    const key = presentedApiKey(req);
    req.client = this.keys.identify(key);
    if (req.client) return true;
    throw new UnauthorizedException({
      message: key
        ? 'Invalid API key'
        : 'Missing API key: send X-API-Key or Authorization: Bearer <key>',
      code: key ? 'INVALID_API_KEY' : 'MISSING_API_KEY',
    });
  }
}
