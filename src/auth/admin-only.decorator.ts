import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UseGuards,
} from '@nestjs/common';
import { ApiErrorResponse } from '../shared/error-response.dto';
import { RequestWithClient } from './client';

/**
 * Refuses a client whose key is not an admin key (ADMIN_API_KEYS) with 403 ADMIN_KEY_REQUIRED.
 * A guard, so it runs after ApiKeyGuard (global guards first) and before any pipe: a non-admin
 * caller gets 403 whatever its parameters, never a 400 that would describe a route it may not use.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const client = context.switchToHttp().getRequest<RequestWithClient>().client;
    if (client?.admin) return true;
    throw new ForbiddenException({
      message: 'This route needs an admin API key (ADMIN_API_KEYS)',
      code: 'ADMIN_KEY_REQUIRED',
    });
  }
}

/** The route (or every route of the controller) is for admin keys only: AdminGuard, documented. */
export const AdminOnly = () =>
  applyDecorators(
    UseGuards(AdminGuard),
    ApiErrorResponse(403, 'The API key is not an admin key (ADMIN_API_KEYS).', [
      'ADMIN_KEY_REQUIRED',
    ]),
  );
