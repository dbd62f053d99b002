import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { isDatabaseUnavailable } from '../shared/database-errors';
import { ErrorBody, errorBody } from '../shared/error-body';
import { RetryableHttpException } from '../shared/retryable.exception';
import { declaredMethods } from './route-table';

const PASSED_THROUGH = ['errors', 'messageId', 'code', 'details'] as const;

/**
 * Every error that reaches Nest (thrown by a handler, guard, pipe or interceptor, the router's
 * 404, or passed on by a middleware) gets one JSON shape, with a `code` (the status's default
 * when the thrower gave none). A 404 for a path that some route serves with other methods is a
 * 405 with an Allow header.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request & { id?: string }>();
    const res = ctx.getResponse<Response>();
    const allowed = otherMethodsOnly(exception, req);
    const body = allowed
      ? errorBody(
          HttpStatus.METHOD_NOT_ALLOWED,
          `${req.method} is not allowed on ${req.path}; allowed: ${allowed.join(', ')}`,
        )
      : toBody(exception);
    body.requestId =
      typeof req.id === 'string' ? req.id : String(res.getHeader('X-Request-Id') ?? '');
    if (body.statusCode >= 500 && !(exception instanceof HttpException)) {
      this.logger.error(
        {
          err:
            exception instanceof Error
              ? { name: exception.name, message: exception.message, stack: exception.stack }
              : String(exception),
          requestId: body.requestId,
        },
        'Unhandled error',
      );
    }
    if (res.headersSent) return;
    if (body.statusCode === HttpStatus.METHOD_NOT_ALLOWED && allowed)
      res.setHeader('Allow', allowed.join(', '));
    const retryAfter = retryAfterSeconds(exception, body.statusCode);
    if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
    res.status(body.statusCode).json(body);
  }
}

/**
 * For a 404 on a path that routes serve with other methods only: those methods. (A handler's
 * own 404, such as MESSAGE_NOT_FOUND, comes from a route declared for this very method.)
 */
function otherMethodsOnly(exception: unknown, req: Request): string[] | undefined {
  if (!(exception instanceof NotFoundException)) return undefined;
  const allowed = declaredMethods(req);
  return allowed.length > 0 && !allowed.includes(req.method) ? allowed : undefined;
}

/** A 503 always says when to come back; other retryable errors say so through their type. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

function retryAfterSeconds(exception: unknown, statusCode: number): number | undefined {
  if (exception instanceof RetryableHttpException) return exception.retryAfterSeconds;
  return statusCode === HttpStatus.SERVICE_UNAVAILABLE ? DEFAULT_RETRY_AFTER_SECONDS : undefined;
}

function toBody(exception: unknown): ErrorBody {
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    let message = exception.message;
    const extra: Record<string, unknown> = {};
    if (typeof response === 'string') message = response;
    else if (response && typeof response === 'object') {
      const r = response as Record<string, unknown>;
      if (Array.isArray(r.message)) message = r.message.join('; ');
      else if (typeof r.message === 'string') message = r.message;
      for (const key of PASSED_THROUGH) if (r[key] !== undefined) extra[key] = r[key];
    }
    return errorBody(exception.getStatus(), message, extra);
  }
  if (isDatabaseUnavailable(exception)) {
    return errorBody(
      HttpStatus.SERVICE_UNAVAILABLE,
      'The message store is unavailable; nothing was sent. Retry later.',
      { code: 'DATABASE_UNAVAILABLE' },
    );
  }
  return errorBody(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal server error');
}
