import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request } from 'express';
import { LEAN_CONFIG, type LeanConfig } from './lean-config';

/** `x-api-key` must be one of API_KEYS. */
@Injectable()
export class LeanApiKeyGuard implements CanActivate {
  private readonly keys: Set<string>;

  constructor(@Inject(LEAN_CONFIG) config: LeanConfig) {
    this.keys = new Set(config.apiKeys);
  }

  canActivate(context: ExecutionContext): boolean {
    const key = context.switchToHttp().getRequest<Request>().header('x-api-key');
    if (!key || !this.keys.has(key)) throw new UnauthorizedException('missing or unknown API key');
    return true;
  }
}
