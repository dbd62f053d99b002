import { HttpException } from '@nestjs/common';

/**
 * An error the client should retry after a delay: the error filter turns `retryAfterSeconds`
 * into a Retry-After header (RFC 9110 §10.2.3). The body is the usual error body.
 */
export class RetryableHttpException extends HttpException {
  constructor(
    body: { message: string; code: string; [extra: string]: unknown },
    status: number,
    readonly retryAfterSeconds: number,
  ) {
    super(body, status);
  }
}
