import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { HttpStatus } from '@nestjs/common';
import type { Types } from 'mongoose';
import { RetryableHttpException } from '../../../shared/retryable.exception';

export const RESERVED_MESSAGE_ID = Symbol('reservedMessageId');

export type RequestWithReservation = Request & { [RESERVED_MESSAGE_ID]?: Types.ObjectId };

/** The message id an Idempotency-Key reservation chose for this request (undefined without a key). */
export const ReservedMessageId = createParamDecorator(
  (_: unknown, context: ExecutionContext) =>
    context.switchToHttp().getRequest<RequestWithReservation>()[RESERVED_MESSAGE_ID],
);

/**
 * The reserved id already has a log: the request that chose it is still running (it outlived
 * its lease and a retry took the key over, or the other way round). Nothing is sent, and the
 * key is kept for whichever of the two logged first.
 */
export class ReservedMessageIdInUseException extends RetryableHttpException {
  constructor() {
    super(
      {
        message: 'A request with this Idempotency-Key is still in progress',
        code: 'IDEMPOTENCY_IN_FLIGHT',
      },
      HttpStatus.CONFLICT,
      1,
    );
  }
}
