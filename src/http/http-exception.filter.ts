import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { isDatabaseUnavailable } from '../shared/database-errors';
import { ErrorBody, errorBody } from '../shared/error-body';
import { RetryableHttpException } from '../shared/retryable.exception';

const PASSED_THROUGH = ['errors', 'messageId', 'code', 'details'] as const;

/** Every error, including unknown routes, 413 and body-parser failures, gets one JSON shape. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request & { id?: string }>();
    const res = ctx.getResponse<Response>();
    const body = toBody(exception);
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
    const retryAfter = retryAfterSeconds(exception, body.statusCode);
    if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
    if (res.headersSent) return;
    res.status(body.statusCode).json(body);
  }
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
    const body = errorBody(exception.getStatus(), exception.message);
    if (typeof response === 'string') body.message = response;
    else if (response && typeof response === 'object') {
      const r = response as Record<string, unknown>;
      if (Array.isArray(r.message)) body.message = r.message.join('; ');
      else if (typeof r.message === 'string') body.message = r.message;
      for (const key of PASSED_THROUGH) if (r[key] !== undefined) body[key] = r[key];
    }
    return body;
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
