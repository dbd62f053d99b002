import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { isDatabaseUnavailable } from '../shared/database-errors';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  requestId?: string;
  [extra: string]: unknown;
}

const PASSED_THROUGH = ['errors', 'messageId', 'code', 'details'] as const;

/** Every error, including unknown routes, 413 and body-parser failures, gets one JSON shape. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request & { id?: string }>();
    const res = ctx.getResponse<Response>();
    const body = this.toBody(exception);
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
    const retryAfter = body.retryAfterSeconds;
    delete body.retryAfterSeconds;
    if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
    if (res.headersSent) return;
    res.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const response = exception.getResponse();
      const body: ErrorBody = {
        statusCode,
        error: STATUS_CODES[statusCode] ?? 'Error',
        message: exception.message,
      };
      if (typeof response === 'string') body.message = response;
      else if (response && typeof response === 'object') {
        const r = response as Record<string, unknown>;
        if (Array.isArray(r.message)) body.message = r.message.join('; ');
        else if (typeof r.message === 'string') body.message = r.message;
        for (const key of PASSED_THROUGH) if (r[key] !== undefined) body[key] = r[key];
        if (typeof r.retryAfterSeconds === 'number') body.retryAfterSeconds = r.retryAfterSeconds;
      }
      if (statusCode === HttpStatus.SERVICE_UNAVAILABLE && body.retryAfterSeconds === undefined)
        body.retryAfterSeconds = 5;
      return body;
    }
    if (isDatabaseUnavailable(exception)) {
      return {
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        error: 'Service Unavailable',
        message: 'The message store is unavailable; nothing was sent. Retry later.',
        code: 'DATABASE_UNAVAILABLE',
        retryAfterSeconds: 5,
      };
    }
    return { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' };
  }
}
