import { applyDecorators } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import {
  ApiErrorResponse,
  RATE_LIMIT_HEADERS,
  RETRY_AFTER_HEADER,
} from '../shared/error-response.dto';
import { ApiKeyAuth } from './api-key-auth.decorator';

/**
 * A controller of client routes (an API key; the client's rate limit, not the webhooks'), with
 * the answers every such route may give: 401, 429, 500 and 503 when the database is unreachable.
 */
export function ClientRoutes(): ClassDecorator {
  return applyDecorators(
    ApiKeyAuth(),
    ApiErrorResponse(401, 'Missing or invalid API key.', ['MISSING_API_KEY', 'INVALID_API_KEY']),
    ApiErrorResponse(
      429,
      'Rate limit reached; see Retry-After.',
      ['RATE_LIMITED'],
      RATE_LIMIT_HEADERS,
    ),
    ApiErrorResponse(500, 'An unexpected error.', ['INTERNAL_ERROR']),
    ApiErrorResponse(
      503,
      'The database is unreachable; nothing changed; retry after Retry-After.',
      ['DATABASE_UNAVAILABLE'],
      RETRY_AFTER_HEADER,
    ),
    SkipThrottle({ webhook: true }),
  );
}
